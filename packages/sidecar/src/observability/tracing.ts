/**
 * The sidecar's tracer (spec §5.1). `createTracer` returns undefined when tracing is off (samplingRate exactly 0):
 * callers test `runtime.tracer` once and do nothing else, so a disabled tracer costs nothing per call.
 *
 * Without an exporter, spans are never recorded (daprd registers a null exporter), so the default tracer only
 * propagates: new span ids, the parent's trace id, the parent-based sampling flag — no OpenTelemetry SDK loaded.
 * With an exporter, otel-tracer.ts loads the SDK (dynamic import, at start-up) and records sampled spans.
 */
import type { Logger } from '@daprkit/component-sdk';
import type { HttpSpanFields } from './http-span-attributes.js';
import { newSpanId, newTraceId, type TraceContext } from './trace-context.js';
import { hasExporter, type TracingConfig } from './tracing-config.js';

export type SpanKind = 'internal' | 'server' | 'client' | 'producer' | 'consumer';

export interface TraceSpan {
  /** What goes out: `traceparent`, `grpc-trace-bin`, CloudEvent `traceid`. */
  readonly context: TraceContext;
  /** Whether attributes and status are kept (sampled, with an exporter); skip building them otherwise. */
  readonly recording: boolean;
  setName(name: string): void;
  /** Empty values are not set (daprd). */
  setAttribute(key: string, value: string): void;
  /** Ends the span; an error description marks it failed (OpenTelemetry status Error). */
  end(error?: string): void;
  /** Ends the span of an HTTP API call, with the attributes `fields` make (http-span-attributes.ts) as well. */
  endHttp(fields: HttpSpanFields, error?: string): void;
}

export interface Tracer {
  /** Starts a span, child of `parent` (a remote context) or a new root trace. */
  startSpan(name: string, kind: SpanKind, parent: TraceContext | undefined): TraceSpan;
  /** Exports what has ended so far. */
  flush(): Promise<void>;
  /** Flushes and stops the exporters. */
  shutdown(): Promise<void>;
}

/**
 * The TraceID-ratio decision, as OpenTelemetry Go's TraceIDRatioBased: the trace id's lower bits against the
 * ratio (here 52 of them, what a double holds exactly), so every sidecar on a trace decides the same way.
 */
export function ratioSampled(traceId: string, ratio: number): boolean {
  if (ratio >= 1) return true;
  if (ratio <= 0) return false;
  return Number.parseInt(traceId.slice(19, 32), 16) / 2 ** 52 < ratio;
}

/** A span that is only propagated: at once the span and its context, one small object per call. */
class PropagatedSpan implements TraceSpan, TraceContext {
  readonly recording = false;
  constructor(
    readonly traceId: string,
    readonly spanId: string,
    readonly flags: number,
    readonly tracestate: string,
  ) {}
  get context(): TraceContext {
    return this;
  }
  setName(): void {}
  setAttribute(): void {}
  end(): void {}
  endHttp(): void {}
}

/**
 * A child of `parent` (a remote context) or a new root trace, propagated only. The sampled flag is daprd's
 * parent-based sampler: a child keeps its parent's, a new root trace is sampled by `ratioSampled`; the recording
 * tracer records the sampled ones instead.
 */
export function propagatedSpan(parent: TraceContext | undefined, ratio: number): TraceSpan {
  if (parent === undefined) {
    const traceId = newTraceId();
    return new PropagatedSpan(traceId, newSpanId(), ratioSampled(traceId, ratio) ? 1 : 0, '');
  }
  return new PropagatedSpan(parent.traceId, newSpanId(), parent.flags & 1, parent.tracestate);
}

/** Propagation only: what daprd does when spans would go to its null exporter. */
export class PropagatingTracer implements Tracer {
  constructor(private readonly ratio: number) {}

  startSpan(_name: string, _kind: SpanKind, parent: TraceContext | undefined): TraceSpan {
    return propagatedSpan(parent, this.ratio);
  }

  async flush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

/**
 * The tracer for a parsed `spec.tracing`: undefined when off, propagation only without an exporter, else the
 * OpenTelemetry SDK with the configured exporters. `serviceName` is the app id (OTEL_SERVICE_NAME overrides).
 */
export async function createTracer(
  config: TracingConfig,
  serviceName: string,
  logger: Logger,
): Promise<Tracer | undefined> {
  if (!config.enabled) return undefined;
  if (!hasExporter(config)) return new PropagatingTracer(config.samplingRate);
  const { createOtelTracer } = await import('./otel-tracer.js');
  const tracer = await createOtelTracer(config, serviceName, logger);
  logger.info('tracing: exporting spans', {
    samplingRate: config.samplingRate,
    exporters: [
      ...(config.otel ? [`otel ${config.otel.protocol} ${config.otel.endpointAddress}`] : []),
      ...(config.zipkin ? [`zipkin ${config.zipkin.endpointAddress}`] : []),
      ...(config.stdout ? ['stdout'] : []),
    ].join(', '),
  });
  return tracer;
}
