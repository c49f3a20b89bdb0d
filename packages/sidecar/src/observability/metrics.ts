/**
 * daprd's Prometheus metrics (spec wave2 §5.2) for what the sidecar does, on prom-client: names are `dapr_` + the
 * OpenCensus view name with `/` and `.` turned into `_`, latencies in ms with daprd's buckets. One object per
 * sidecar (its own registry, so two sidecars in one process do not mix). When metrics are disabled the runtime
 * holds `undefined` and every instrumentation point is a single `if`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry } from 'prom-client';
import type { MetricsSettings } from './metrics-config.js';

const STATIC_PATHS = new Set(['/dapr/config', '/dapr/metrics', '/dapr/subscribe', '/healthz']);
const HTTP_VERBS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE']);

export type PubSubProcessStatus = 'success' | 'retry' | 'drop';

/** A compiled `pathMatching` pattern: `{name}` is one segment, `{name...}` the rest. */
interface PathPattern {
  pattern: string;
  segments: string[];
}

function compilePattern(pattern: string): PathPattern {
  const clean = `/${pattern.split('/').filter(Boolean).join('/')}`;
  return { pattern: clean, segments: clean.split('/').slice(1) };
}

function matchPattern(p: PathPattern, parts: readonly string[]): boolean {
  for (let i = 0; i < p.segments.length; i++) {
    const segment = p.segments[i]!;
    if (segment.endsWith('...}')) return parts.length > i;
    const part = parts[i];
    if (part === undefined) return false;
    if (!(segment.startsWith('{') && segment.endsWith('}')) && segment !== part) return false;
  }
  return parts.length === p.segments.length;
}

/** daprd's legacy (increasedCardinality) path reduction: `/v1.0/state/<store>`, `{id}` for actors, … */
export function reducedPath(path: string): string {
  const p = path.startsWith('/') ? path.slice(1) : path;
  const parts = p.split('/');
  if (parts.length < 3) return path;
  if (parts[0] === 'actors') return [parts[0], parts[1], '{id}', ...parts.slice(3)].join('/');
  switch (parts[1]) {
    case 'state':
    case 'secrets':
      return `/${parts.slice(0, 3).join('/')}`;
    case 'actors':
      if (parts.length < 5) return path;
      return `/${[parts[0], parts[1], parts[2], '{id}', parts[4]].join('/')}`;
    default:
      return path;
  }
}

export class SidecarMetrics {
  readonly registry = new Registry();
  private readonly patterns: PathPattern[];
  private readonly httpCount: Counter;
  private readonly httpLatency: Histogram;
  private readonly httpResponseCount: Counter | undefined;
  private readonly grpcCompleted: Counter;
  private readonly grpcLatency: Histogram;
  private readonly ingressCount: Counter;
  private readonly ingressLatency: Histogram;
  private readonly egressCount: Counter;
  private readonly egressLatency: Histogram;
  private readonly stateCount: Counter;
  private readonly stateLatency: Histogram;
  private readonly outputCount: Counter;
  private readonly outputLatency: Histogram;
  private readonly inputCount: Counter;
  private readonly inputLatency: Histogram;
  private readonly secretCount: Counter;
  private readonly secretLatency: Histogram;
  private readonly loaded: Counter;
  private readonly initTotal: Counter;
  private readonly initFail: Counter;

  constructor(
    private readonly appId: string,
    private readonly namespace: string,
    private readonly settings: MetricsSettings,
  ) {
    const registers = [this.registry];
    const buckets = [...settings.latencyBucketsMs];
    const counter = (name: string, help: string, labelNames: string[]) =>
      new Counter({ name, help, labelNames: ['app_id', ...labelNames], registers });
    const histogram = (name: string, help: string, labelNames: string[]) =>
      new Histogram({ name, help, labelNames: ['app_id', ...labelNames], buckets, registers });
    const http = ['method', 'path', 'status'];
    this.httpCount = counter('dapr_http_server_request_count', 'Number of HTTP requests started in server.', http);
    this.httpLatency = histogram('dapr_http_server_latency', 'HTTP request end-to-end latency in server.', http);
    if (settings.increasedCardinality)
      this.httpResponseCount = counter('dapr_http_server_response_count', 'The number of HTTP responses', http);
    const grpc = ['grpc_server_method', 'grpc_server_status'];
    this.grpcCompleted = counter('dapr_grpc_io_server_completed_rpcs', 'Count of RPCs by method and status.', grpc);
    this.grpcLatency = histogram('dapr_grpc_io_server_server_latency', 'Distribution of server latency (ms).', grpc);
    const ingress = ['component', 'namespace', 'process_status', 'status', 'topic'];
    this.ingressCount = counter('dapr_component_pubsub_ingress_count', 'The number of incoming messages.', ingress);
    this.ingressLatency = histogram(
      'dapr_component_pubsub_ingress_latencies',
      'The consuming app event processing latency.',
      ingress,
    );
    const egress = ['component', 'namespace', 'success', 'topic'];
    this.egressCount = counter('dapr_component_pubsub_egress_count', 'The number of outgoing messages.', egress);
    this.egressLatency = histogram('dapr_component_pubsub_egress_latencies', 'The latency of the response.', egress);
    const op = ['component', 'namespace', 'operation', 'success'];
    this.stateCount = counter('dapr_component_state_count', 'The number of operations performed.', op);
    this.stateLatency = histogram('dapr_component_state_latencies', 'The latency of the operation.', op);
    this.outputCount = counter('dapr_component_output_binding_count', 'The number of operations performed.', op);
    this.outputLatency = histogram('dapr_component_output_binding_latencies', 'The latency of the operation.', op);
    const input = ['component', 'namespace', 'success'];
    this.inputCount = counter('dapr_component_input_binding_count', 'The number of incoming events.', input);
    this.inputLatency = histogram('dapr_component_input_binding_latencies', 'The triggering app latency.', input);
    this.secretCount = counter('dapr_component_secret_count', 'The number of operations performed.', op);
    this.secretLatency = histogram('dapr_component_secret_latencies', 'The latency of the operation.', op);
    this.loaded = counter('dapr_runtime_component_loaded', 'The number of successfully loaded components.', []);
    this.initTotal = counter('dapr_runtime_component_init_total', 'The number of initialized components.', [
      'component',
    ]);
    this.initFail = counter('dapr_runtime_component_init_fail_total', 'The number of component init failures.', [
      'component',
      'reason',
      'componentName',
    ]);
    this.patterns = settings.pathMatching.flatMap((raw) => {
      const p = compilePattern(raw);
      return p.pattern.startsWith('/v1.0/invoke/')
        ? [p]
        : [p, compilePattern(`/v1.0/invoke/{app_id}/method${p.pattern}`)];
    });
  }

  /** The `path` label for a request path (daprd's getMetricsPath). */
  metricsPath(path: string): string {
    if (STATIC_PATHS.has(path)) return path;
    if (this.patterns.length > 0) {
      const parts = path.split('/').slice(1);
      const found = this.patterns.find((p) => matchPattern(p, parts));
      if (found) return found.pattern;
    }
    return this.settings.increasedCardinality ? reducedPath(path) : '';
  }

  httpRequest(method: string, path: string, status: number, ms: number): void {
    const labels = {
      app_id: this.appId,
      method: this.settings.excludeVerbs ? '' : HTTP_VERBS.has(method) ? method : 'UNKNOWN',
      path: this.metricsPath(path),
      status: String(status),
    };
    this.httpCount.inc(labels);
    this.httpLatency.observe(labels, ms);
    this.httpResponseCount?.inc(labels);
  }

  grpcRpc(fullMethod: string, statusName: string, ms: number): void {
    const labels = { app_id: this.appId, grpc_server_method: fullMethod, grpc_server_status: statusName };
    this.grpcCompleted.inc(labels);
    this.grpcLatency.observe(labels, ms);
  }

  pubsubIngress(component: string, topic: string, processStatus: PubSubProcessStatus, ms: number): void {
    const labels = {
      app_id: this.appId,
      component,
      namespace: this.namespace,
      process_status: processStatus,
      status: processStatus,
      topic,
    };
    this.ingressCount.inc(labels);
    if (ms > 0) this.ingressLatency.observe(labels, ms);
  }

  pubsubEgress(component: string, topic: string, success: boolean, ms: number): void {
    const labels = { app_id: this.appId, component, namespace: this.namespace, success: String(success), topic };
    this.egressCount.inc(labels);
    if (ms > 0) this.egressLatency.observe(labels, ms);
  }

  state(component: string, operation: string, success: boolean, ms: number): void {
    const labels = { app_id: this.appId, component, namespace: this.namespace, operation, success: String(success) };
    this.stateCount.inc(labels);
    if (ms > 0) this.stateLatency.observe(labels, ms);
  }

  outputBinding(component: string, operation: string, success: boolean, ms: number): void {
    const labels = { app_id: this.appId, component, namespace: this.namespace, operation, success: String(success) };
    this.outputCount.inc(labels);
    if (ms > 0) this.outputLatency.observe(labels, ms);
  }

  inputBinding(component: string, success: boolean, ms: number): void {
    const labels = { app_id: this.appId, component, namespace: this.namespace, success: String(success) };
    this.inputCount.inc(labels);
    if (ms > 0) this.inputLatency.observe(labels, ms);
  }

  secret(component: string, operation: string, success: boolean, ms: number): void {
    const labels = { app_id: this.appId, component, namespace: this.namespace, operation, success: String(success) };
    this.secretCount.inc(labels);
    if (ms > 0) this.secretLatency.observe(labels, ms);
  }

  componentInitialized(type: string): void {
    this.loaded.inc({ app_id: this.appId });
    this.initTotal.inc({ app_id: this.appId, component: type });
  }

  componentInitFailed(type: string, reason: 'creation' | 'init', name: string): void {
    this.initFail.inc({ app_id: this.appId, component: type, reason, componentName: name });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** The Prometheus endpoint: every path answers (daprd's ServeMux on `/`). */
export async function startMetricsServer(
  metrics: SidecarMetrics,
  host: string,
  port: number,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    metrics.text().then(
      (body) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end((error as Error).message);
      },
    );
  });
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}
