/**
 * The span export thread: OpenTelemetry's JS SDK (BatchSpanProcessor and the configured exporters) off the
 * sidecar's event loop. The main thread records spans as flat records (otel-tracer.ts) and posts them in batches;
 * turning them into the SDK's `ReadableSpan`, encoding Zipkin JSON or OTLP protobuf and sending them happens here,
 * so at samplingRate 1 the API's event loop pays for recording only.
 *
 * Messages in: `{ type: 'spans', spans: JSON of SpanRecord[] }`, `{ type: 'flush', id }`, `{ type: 'shutdown', id }`.
 * Messages out: `{ type: 'ready' }`, `{ type: 'taken', count }` (a spans batch handed on), `{ type: 'log', level,
 * msg, fields }`, `{ type: 'done', id, error? }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  type Attributes,
  createTraceState,
  type HrTime,
  type Link,
  type SpanContext,
  type SpanStatus,
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
import { type HttpSpanFields, httpSpanAttributes } from './http-span-attributes.js';
import type { OtelExporterConfig, TracingConfig } from './tracing-config.js';

/** One ended span as the main thread records it (see otel-tracer.ts `record`). */
export type SpanRecord = [
  traceId: string,
  spanId: string,
  tracestate: string,
  /** '' for a root span. */
  parentSpanId: string,
  parentFlags: number,
  name: string,
  /** OpenTelemetry SpanKind. */
  kind: number,
  startEpochMs: number,
  durationMs: number,
  /** null = status unset; else status Error with this description. */
  error: string | null,
  /**
   * Flat key/value pairs. A key is its number in the batches' key table (`keys` of each spans message, appended in
   * order) or, once that table is full, the key itself; a later pair wins over an earlier one with the same key.
   */
  attributes: Array<number | string>,
  /** An HTTP API call's span: what its daprd attributes are made of, spelled out here (after `attributes`). */
  http: HttpSpanFields | null,
];

export interface ExportThreadData {
  config: TracingConfig;
  serviceName: string;
  version: string;
}

type Level = 'info' | 'warn';
export type FromExportThread =
  | { type: 'ready' }
  /** A spans batch handed to the processors: the main thread counts spans in flight to bound the port's queue. */
  | { type: 'taken'; count: number }
  | { type: 'log'; level: Level; msg: string; fields?: Record<string, unknown> }
  | { type: 'done'; id: number; error?: string };
export type ToExportThread =
  /** SpanRecord[] as JSON; `keys`: attribute keys numbered after those of earlier batches, first. */
  { type: 'spans'; spans: string; keys?: string[] } | { type: 'flush'; id: number } | { type: 'shutdown'; id: number };

/**
 * Batching sized for a busy sidecar at samplingRate 1: with the SDK defaults (2048 queued, 512 per export, every
 * 5 s) a burst while one export is in flight drops spans. Still bounded (8192 spans queued at most); beyond it the
 * SDK counts what it drops and warns once per episode (OpenTelemetry diag), not per span.
 */
const BATCH = { maxQueueSize: 8192, maxExportBatchSize: 2048, scheduledDelayMillis: 1000 };

const port = parentPort!;
const post = (message: FromExportThread) => port.postMessage(message);
const log = (level: Level, msg: string, fields?: Record<string, unknown>) => post({ type: 'log', level, msg, fields });

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
  ) {}

  export(spans: ReadableSpan[], resultCallback: ExportCallback): void {
    this.inner.export(spans, (result: ExportResult) => {
      if (result.code === EXPORT_SUCCESS) {
        if (this.failing) log('info', `tracing: exporting spans to ${this.target} works again`);
        this.failing = false;
      } else {
        this.failing = true;
        this.unlogged += 1;
        const now = Date.now();
        if (now - this.lastLogged >= FAILURE_LOG_INTERVAL_MS) {
          log('warn', `tracing: exporting spans to ${this.target} failed; spans dropped`, {
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

const UNSET: SpanStatus = { code: 0 };
/** SpanStatusCode.ERROR. */
const STATUS_ERROR = 2;
const NONE: never[] = [];

/** Epoch milliseconds as HrTime in whole microseconds: Zipkin wants an integer timestamp, and its exporter does not round. */
function hrTime(epochMs: number): HrTime {
  const micros = Math.round(epochMs * 1000);
  return [Math.floor(micros / 1e6), (micros % 1e6) * 1000];
}

function duration(ms: number): HrTime {
  const micros = Math.round(ms * 1000);
  return [Math.floor(micros / 1e6), (micros % 1e6) * 1000];
}

/** A SpanRecord in the SDK's `ReadableSpan` shape (@opentelemetry/sdk-trace 3.x), with nothing more than exporters read. */
class ExportedSpan implements ReadableSpan {
  readonly name: string;
  readonly kind: number;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly duration: HrTime;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
  readonly parentSpanContext: SpanContext | undefined;
  readonly ended = true;
  readonly events: TimedEvent[] = NONE;
  readonly links: Link[] = NONE;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  private readonly context: SpanContext;

  constructor(
    record: SpanRecord,
    keys: readonly string[],
    readonly resource: Resource,
    readonly instrumentationScope: InstrumentationScope,
  ) {
    const [traceId, spanId, tracestate, parentSpanId, parentFlags, name, kind, startMs, durationMs, error] = record;
    const traceState: TraceState | undefined = tracestate === '' ? undefined : createTraceState(tracestate);
    this.context = { traceId, spanId, traceFlags: 1, isRemote: false, traceState };
    this.parentSpanContext =
      parentSpanId === '' ? undefined : { traceId, spanId: parentSpanId, traceFlags: parentFlags, isRemote: true };
    this.name = name;
    this.kind = kind;
    this.startTime = hrTime(startMs);
    this.endTime = hrTime(startMs + durationMs);
    this.duration = duration(durationMs);
    this.status = error === null ? UNSET : { code: STATUS_ERROR, message: error };
    const attributes: Attributes = {};
    const pairs = record[10];
    for (let i = 0; i < pairs.length; i += 2) {
      const key = pairs[i]!;
      attributes[typeof key === 'number' ? keys[key]! : key] = pairs[i + 1] as string;
    }
    const http = record[11];
    if (http !== null) httpSpanAttributes(http, attributes as Record<string, string>);
    this.attributes = attributes;
  }

  spanContext(): SpanContext {
    return this.context;
  }
}

async function start(data: ExportThreadData) {
  const { config, serviceName, version } = data;
  const exporters: SpanExporter[] = [];
  if (config.stdout) exporters.push(new ConsoleSpanExporter());
  if (config.zipkin) {
    const { ZipkinExporter } = await import('@opentelemetry/exporter-zipkin');
    exporters.push(new ReportingExporter(new ZipkinExporter({ url: config.zipkin.endpointAddress }), 'Zipkin'));
  }
  if (config.otel) {
    const { protocol, endpointAddress, isSecure } = config.otel;
    const target = `OTLP/${protocol} ${endpointAddress}${isSecure ? ' (TLS)' : ''}`;
    exporters.push(new ReportingExporter(await otelExporter(config.otel), target));
  }
  // OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES override the app id, as in daprd.
  const resource = resourceFromAttributes({ 'service.name': serviceName }).merge(
    detectResources({ detectors: [envDetector] }),
  );
  const scope: InstrumentationScope = { name: 'daprkit-sidecar', version };
  const processors = exporters.map((exporter) => new BatchSpanProcessor({ exporter, ...BATCH }));

  /** Settles a flush or shutdown; the error of the first processor that failed goes back as its message. */
  const settle = (id: number, work: Promise<unknown>) =>
    work.then(
      () => post({ type: 'done', id }),
      (reason: unknown) => post({ type: 'done', id, error: reason instanceof Error ? reason.message : String(reason) }),
    );

  /** The attribute key table, as the main thread numbers keys. */
  const keys: string[] = [];
  port.on('message', (message: ToExportThread) => {
    switch (message.type) {
      case 'spans': {
        if (message.keys) for (const key of message.keys) keys.push(key);
        const records = JSON.parse(message.spans) as SpanRecord[];
        for (const record of records) {
          const span = new ExportedSpan(record, keys, resource, scope);
          for (const processor of processors) processor.onEnd(span);
        }
        post({ type: 'taken', count: records.length });
        break;
      }
      case 'flush':
        void settle(message.id, Promise.all(processors.map((p) => p.forceFlush())));
        break;
      case 'shutdown':
        void settle(message.id, Promise.all(processors.map((p) => p.shutdown())));
        break;
    }
  });
  post({ type: 'ready' });
}

await start(workerData as ExportThreadData);
