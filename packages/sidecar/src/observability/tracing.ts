/**
 * The sidecar's tracer (spec §5.1). `createTracer` returns undefined when tracing is off (samplingRate exactly 0):
 * callers test `runtime.tracer` once and do nothing else, so a disabled tracer costs nothing per call.
 *
 * Without an exporter, spans are never recorded (daprd registers a null exporter), so the default tracer only
 * propagates: new span ids, the parent's trace id, the parent-based sampling flag — no OpenTelemetry SDK loaded.
 * With an exporter, otel-tracer.ts loads the SDK (dynamic import, at start-up) and records sampled spans.
 */
import type { Logger } from '@daprkit/component-sdk';
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

/** A span that is only propagated: its context and nothing else (one small object per call, methods shared). */
class PropagatedSpan implements TraceSpan {
  readonly recording = false;
  constructor(readonly context: TraceContext) {}
  setName(): void {}
  setAttribute(): void {}
  end(): void {}
}

/**
 * daprd's parent-based sampler: a child of a remote context keeps its sampled flag, a new root trace is sampled by
 * `ratioSampled`. Returns the new span's context (new span id, the parent's trace id and tracestate).
 */
export function childContext(parent: TraceContext | undefined, ratio: number): TraceContext {
  if (parent === undefined) {
    const traceId = newTraceId();
    return { traceId, spanId: newSpanId(), flags: ratioSampled(traceId, ratio) ? 1 : 0, tracestate: '' };
  }
  return { traceId: parent.traceId, spanId: newSpanId(), flags: parent.flags & 1, tracestate: parent.tracestate };
}

/** Propagation only: what daprd does when spans would go to its null exporter. */
export class PropagatingTracer implements Tracer {
  constructor(private readonly ratio: number) {}

  startSpan(_name: string, _kind: SpanKind, parent: TraceContext | undefined): TraceSpan {
    return new PropagatedSpan(childContext(parent, this.ratio));
  }

  async flush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

/** A span that is not sampled: propagated only, never recorded (for the recording tracer too). */
export function propagatedSpan(context: TraceContext): TraceSpan {
  return new PropagatedSpan(context);
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
