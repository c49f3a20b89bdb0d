/**
 * The recording tracer: OpenTelemetry's JS SDK with daprd's sampler (parent-based, TraceID ratio at samplingRate)
 * and the configured exporters (OTLP gRPC/HTTP, Zipkin, stdout). Only ever loaded by tracing.ts through a dynamic
 * import, so a sidecar without an exporter never loads the SDK.
 */
import type { Logger } from '@daprkit/component-sdk';
import {
  createTraceState,
  SpanKind as OtelSpanKind,
  ROOT_CONTEXT,
  type Span,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { VERSION } from '../version.js';
import type { TraceContext } from './trace-context.js';
import type { SpanKind, Tracer, TraceSpan } from './tracing.js';
import type { OtelExporterConfig, TracingConfig } from './tracing-config.js';

const KINDS: Record<SpanKind, OtelSpanKind> = {
  internal: OtelSpanKind.INTERNAL,
  server: OtelSpanKind.SERVER,
  client: OtelSpanKind.CLIENT,
  producer: OtelSpanKind.PRODUCER,
  consumer: OtelSpanKind.CONSUMER,
};

/**
 * Batching sized for a busy sidecar at samplingRate 1: the SDK defaults (2048 queued, 512 per export, every 5 s)
 * drop spans above ~400 req/s. Still bounded (8192 spans queued at most); beyond it the SDK counts what it drops and
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

class OtelSpan implements TraceSpan {
  readonly recording: boolean;
  readonly context: TraceContext;

  constructor(private readonly span: Span) {
    const sc = span.spanContext();
    this.recording = span.isRecording();
    this.context = {
      traceId: sc.traceId,
      spanId: sc.spanId,
      flags: sc.traceFlags,
      tracestate: sc.traceState?.serialize() ?? '',
    };
  }

  setName(name: string): void {
    this.span.updateName(name);
  }

  setAttribute(key: string, value: string): void {
    if (value !== '') this.span.setAttribute(key, value);
  }

  end(error?: string): void {
    if (error !== undefined) this.span.setStatus({ code: SpanStatusCode.ERROR, message: error });
    this.span.end();
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
  const provider = new TracerProvider({
    resource,
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.samplingRate) }),
    spanProcessors: exporters.map((exporter) => new BatchSpanProcessor({ exporter, ...BATCH })),
  });
  const tracer = provider.getTracer('daprkit-sidecar', VERSION);
  return {
    startSpan(name: string, kind: SpanKind, parent: TraceContext | undefined): TraceSpan {
      const context =
        parent === undefined
          ? ROOT_CONTEXT
          : trace.setSpanContext(ROOT_CONTEXT, {
              traceId: parent.traceId,
              spanId: parent.spanId,
              traceFlags: parent.flags,
              isRemote: true,
              ...(parent.tracestate === '' ? {} : { traceState: createTraceState(parent.tracestate) }),
            });
      return new OtelSpan(tracer.startSpan(name, { kind: KINDS[kind] }, context));
    },
    // The provider rejects with the list of its processors' errors: hand back an Error.
    flush: () =>
      provider.forceFlush().catch((reason: unknown) => {
        const first = Array.isArray(reason) ? reason[0] : reason;
        throw first instanceof Error ? first : new Error(`tracing: flush failed: ${String(first)}`);
      }),
    async shutdown() {
      try {
        await provider.shutdown();
      } catch (error) {
        logger.warn('tracing: exporter shutdown failed', { error: (error as Error).message });
      }
    },
  };
}
