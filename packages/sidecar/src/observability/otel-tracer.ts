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
    exporters.push(new ZipkinExporter({ url: config.zipkin.endpointAddress }));
  }
  if (config.otel) exporters.push(await otelExporter(config.otel));
  // OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES override the app id, as in daprd.
  const resource = resourceFromAttributes({ 'service.name': serviceName }).merge(
    detectResources({ detectors: [envDetector] }),
  );
  const provider = new TracerProvider({
    resource,
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.samplingRate) }),
    spanProcessors: exporters.map((exporter) => new BatchSpanProcessor({ exporter })),
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
    flush: () => provider.forceFlush(),
    async shutdown() {
      try {
        await provider.shutdown();
      } catch (error) {
        logger.warn('tracing: exporter shutdown failed', { error: (error as Error).message });
      }
    },
  };
}
