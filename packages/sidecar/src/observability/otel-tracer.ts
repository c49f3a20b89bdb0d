/**
 * The recording tracer: daprd's sampler (parent-based, TraceID ratio at samplingRate), spans of our own in the
 * SDK's `ReadableSpan` shape, and OpenTelemetry's JS SDK for the rest: its BatchSpanProcessor and the configured
 * exporters (OTLP gRPC/HTTP, Zipkin, stdout). Only ever loaded by tracing.ts through a dynamic import, so a sidecar
 * without an exporter never loads the SDK.
 */
import type { Logger } from '@daprkit/component-sdk';
import {
  type Attributes,
  createTraceState,
  type HrTime,
  type Link,
  SpanKind as OtelSpanKind,
  type SpanContext,
  type SpanStatus,
  SpanStatusCode,
  type TraceState,
} from '@opentelemetry/api';
import { detectResources, envDetector, type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  type ReadableSpan,
  type SpanExporter,
  type TimedEvent,
} from '@opentelemetry/sdk-trace';
import { VERSION } from '../version.js';
import type { TraceContext } from './trace-context.js';
import { propagatedSpan, type SpanKind, type Tracer, type TraceSpan } from './tracing.js';
import type { OtelExporterConfig, TracingConfig } from './tracing-config.js';

const KINDS: Record<SpanKind, OtelSpanKind> = {
  internal: OtelSpanKind.INTERNAL,
  server: OtelSpanKind.SERVER,
  client: OtelSpanKind.CLIENT,
  producer: OtelSpanKind.PRODUCER,
  consumer: OtelSpanKind.CONSUMER,
};

/**
 * Batching sized for a busy sidecar at samplingRate 1: with the SDK defaults (2048 queued, 512 per export, every
 * 5 s) a burst while one export is in flight drops spans. Still bounded (8192 spans queued at most); beyond it the SDK counts what it drops and
 * warns once per episode (OpenTelemetry diag), not per span.
 */
const BATCH = { maxQueueSize: 8192, maxExportBatchSize: 2048, scheduledDelayMillis: 1000 };

async function otelExporter(config: OtelExporterConfig): Promise<SpanExporter> {
  const scheme = config.isSecure ? 'https' : 'http';
  const timeout = config.timeoutMs === undefined ? {} : { timeoutMillis: config.timeoutMs };
  if (config.protocol === 'grpc') {
    const [{ OTLPTraceExporter }, { Metadata }] = await Promise.all([
      import('@opentelemetry/exporter-trace-otlp-grpc'),
      import('@grpc/grpc-js'),
    ]);
    const metadata = new Metadata();
    for (const [k, v] of Object.entries(config.headers)) metadata.set(k, v);
    // The scheme picks the credentials: http:// = insecure, https:// = TLS.
    return new OTLPTraceExporter({ url: `${scheme}://${config.endpointAddress}`, metadata, ...timeout });
  }
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter({
    url: `${scheme}://${config.endpointAddress}/v1/traces`,
    headers: config.headers,
    ...timeout,
  });
}

type ExportCallback = Parameters<SpanExporter['export']>[1];
type ExportResult = Parameters<ExportCallback>[0];
/** ExportResultCode.SUCCESS of @opentelemetry/core (not a dependency of ours). */
const EXPORT_SUCCESS = 0;
/** At most one failure line per exporter in this interval; the count of the others goes with it. */
const FAILURE_LOG_INTERVAL_MS = 60_000;

/**
 * Logs failed exports, which the SDK only reports to its diag logger (silent unless set up): a wrong endpoint,
 * `isSecure` against a plaintext receiver or an untrusted certificate would otherwise just mean no spans, while
 * daprd logs such errors. The first failure is logged at once, then at most one line a minute, and the recovery.
 */
class ReportingExporter implements SpanExporter {
  private failing = false;
  private lastLogged = Number.NEGATIVE_INFINITY;
  private unlogged = 0;

  constructor(
    private readonly inner: SpanExporter,
    private readonly target: string,
    private readonly logger: Logger,
  ) {}

  export(spans: Parameters<SpanExporter['export']>[0], resultCallback: ExportCallback): void {
    this.inner.export(spans, (result: ExportResult) => {
      if (result.code === EXPORT_SUCCESS) {
        if (this.failing) this.logger.info(`tracing: exporting spans to ${this.target} works again`);
        this.failing = false;
      } else {
        this.failing = true;
        this.unlogged += 1;
        const now = Date.now();
        if (now - this.lastLogged >= FAILURE_LOG_INTERVAL_MS) {
          this.logger.warn(`tracing: exporting spans to ${this.target} failed; spans dropped`, {
            error: result.error?.message ?? 'unknown error',
            spans: spans.length,
            failedExports: this.unlogged,
          });
          this.lastLogged = now;
          this.unlogged = 0;
        }
      }
      resultCallback(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

type InstrumentationScope = ReadableSpan['instrumentationScope'];

const UNSET: SpanStatus = { code: SpanStatusCode.UNSET };
const NONE: never[] = [];

/**
 * The wall clock as HrTime from `performance.now()`: an epoch anchor re-read from `Date.now()` at most once a
 * second (the SDK reads both clocks per span), so times stay monotonic within a span and follow the wall clock.
 */
class Clock {
  private anchorMs = 0;
  private anchoredAt = -Infinity;

  /** `performance.now()`; `anchor()` + it is the epoch time in ms (kept apart so HrTime keeps the nanoseconds). */
  now(): number {
    const t = performance.now();
    if (t - this.anchoredAt > 1000) {
      this.anchoredAt = t;
      this.anchorMs = Date.now() - t;
    }
    return t;
  }

  anchor(): number {
    return this.anchorMs;
  }
}

/** Epoch time as HrTime in whole microseconds: Zipkin wants an integer timestamp, and the exporter does not round. */
function hrTime(anchorMs: number, ms: number): HrTime {
  const seconds = Math.floor(anchorMs / 1000) + Math.floor(ms / 1000);
  const micros = Math.round((anchorMs % 1000) * 1000 + (ms % 1000) * 1000);
  return micros >= 1e6 ? [seconds + 1, (micros - 1e6) * 1000] : [seconds, micros * 1000];
}

function duration(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

/**
 * A sampled span, recorded with what the SDK's exporters read (the `ReadableSpan` shape of
 * @opentelemetry/sdk-trace 3.x) and nothing more: one object that is at once our TraceSpan, its own TraceContext
 * and SpanContext, attributes in a plain object, times as two `performance.now()` readings turned into HrTime only
 * when an exporter asks. The SDK's Span validates and copies on every call; daprd's attributes are strings.
 */
class RecordedSpan implements TraceSpan, TraceContext, ReadableSpan {
  readonly recording = true;
  readonly flags = 1;
  readonly traceFlags = 1;
  readonly isRemote = false;
  readonly attributes: Attributes = {};
  status: SpanStatus = UNSET;
  ended = false;
  readonly traceId: string;
  readonly spanId: string;
  readonly tracestate: string;
  private endMs = 0;
  private readonly startMs: number;
  private readonly anchorMs: number;

  constructor(
    private readonly owner: RecordingTracer,
    public name: string,
    readonly kind: OtelSpanKind,
    context: TraceContext,
    readonly parentSpanContext: SpanContext | undefined,
  ) {
    this.traceId = context.traceId;
    this.spanId = context.spanId;
    this.tracestate = context.tracestate;
    this.startMs = owner.clock.now();
    this.anchorMs = owner.clock.anchor();
  }

  get context(): TraceContext {
    return this;
  }

  spanContext(): SpanContext {
    return this;
  }

  /** SpanContext.traceState, only built when asked (OTLP and console exporters) and there is one. */
  get traceState(): TraceState | undefined {
    return this.tracestate === '' ? undefined : createTraceState(this.tracestate);
  }

  get startTime(): HrTime {
    return hrTime(this.anchorMs, this.startMs);
  }

  get endTime(): HrTime {
    return hrTime(this.anchorMs, this.endMs);
  }

  get duration(): HrTime {
    return duration(this.endMs - this.startMs);
  }

  get resource(): Resource {
    return this.owner.resource;
  }

  get instrumentationScope(): InstrumentationScope {
    return this.owner.scope;
  }

  get events(): TimedEvent[] {
    return NONE;
  }

  get links(): Link[] {
    return NONE;
  }

  get droppedAttributesCount(): number {
    return 0;
  }

  get droppedEventsCount(): number {
    return 0;
  }

  get droppedLinksCount(): number {
    return 0;
  }

  setName(name: string): void {
    if (!this.ended) this.name = name;
  }

  setAttribute(key: string, value: string): void {
    if (value !== '' && !this.ended) this.attributes[key] = value;
  }

  end(error?: string): void {
    if (this.ended) return;
    this.endMs = performance.now();
    if (error !== undefined) this.status = { code: SpanStatusCode.ERROR, message: error };
    this.ended = true;
    for (const processor of this.owner.processors) processor.onEnd(this);
  }
}

/** Records sampled spans (daprd's parent-based ratio sampler, as PropagatingTracer) into the SDK's batch processors. */
class RecordingTracer implements Tracer {
  readonly clock = new Clock();

  constructor(
    private readonly ratio: number,
    readonly resource: Resource,
    readonly scope: InstrumentationScope,
    readonly processors: BatchSpanProcessor[],
    private readonly logger: Logger,
  ) {}

  startSpan(name: string, kind: SpanKind, parent: TraceContext | undefined): TraceSpan {
    const propagated = propagatedSpan(parent, this.ratio);
    if (propagated.context.flags === 0) return propagated;
    const parentSpanContext: SpanContext | undefined =
      parent === undefined
        ? undefined
        : { traceId: parent.traceId, spanId: parent.spanId, traceFlags: parent.flags, isRemote: true };
    return new RecordedSpan(this, name, KINDS[kind], propagated.context, parentSpanContext);
  }

  /** Rejects with the first processor's error, as an Error. */
  async flush(): Promise<void> {
    try {
      await Promise.all(this.processors.map((p) => p.forceFlush()));
    } catch (reason) {
      throw reason instanceof Error ? reason : new Error(`tracing: flush failed: ${String(reason)}`);
    }
  }

  async shutdown(): Promise<void> {
    try {
      await Promise.all(this.processors.map((p) => p.shutdown()));
    } catch (error) {
      this.logger.warn('tracing: exporter shutdown failed', { error: (error as Error).message });
    }
  }
}

export async function createOtelTracer(config: TracingConfig, serviceName: string, logger: Logger): Promise<Tracer> {
  const exporters: SpanExporter[] = [];
  if (config.stdout) exporters.push(new ConsoleSpanExporter());
  if (config.zipkin) {
    const { ZipkinExporter } = await import('@opentelemetry/exporter-zipkin');
    exporters.push(new ReportingExporter(new ZipkinExporter({ url: config.zipkin.endpointAddress }), 'Zipkin', logger));
  }
  if (config.otel) {
    const { protocol, endpointAddress, isSecure } = config.otel;
    const target = `OTLP/${protocol} ${endpointAddress}${isSecure ? ' (TLS)' : ''}`;
    exporters.push(new ReportingExporter(await otelExporter(config.otel), target, logger));
  }
  // OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES override the app id, as in daprd.
  const resource = resourceFromAttributes({ 'service.name': serviceName }).merge(
    detectResources({ detectors: [envDetector] }),
  );
  return new RecordingTracer(
    config.samplingRate,
    resource,
    { name: 'daprkit-sidecar', version: VERSION },
    exporters.map((exporter) => new BatchSpanProcessor({ exporter, ...BATCH })),
    logger,
  );
}
