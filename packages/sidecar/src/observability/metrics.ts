/**
 * daprd's Prometheus metrics (spec wave2 §5.2) for what the sidecar does, on prom-client: names are `dapr_` + the
 * OpenCensus view name with `/` and `.` turned into `_`, latencies in ms with daprd's buckets. One object per
 * sidecar (its own registry, so two sidecars in one process do not mix). When metrics are disabled the runtime
 * holds `undefined` and every instrumentation point is a single `if`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { MetricsSettings } from './metrics-config.js';
import { CounterFamily, GaugeFamily, HistogramFamily, type MetricFamily, TimedFamily } from './series.js';

/** daprd's circuit-breaker states in `resiliency/cb_state` (1 for the current one, 0 for the others). */
const BREAKER_STATES = ['closed', 'half-open', 'open', 'unknown'] as const;

/** One policy's labels (resiliency/ is a peer layer: its PolicyLabels has this shape). */
interface PolicyLabels {
  name: string;
  namespace: string;
  flowDirection: string;
  target: string;
}

/** Prometheus text format 0.0.4 (prom-client's `Registry.PROMETHEUS_CONTENT_TYPE`). */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

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
  // Fast path without splitting: most requests are neither state/secrets nor actors.
  const from = path.startsWith('/') ? 1 : 0;
  const first = path.indexOf('/', from);
  const second = first < 0 ? -1 : path.indexOf('/', first + 1);
  if (second < 0) return path;
  const segment = path.slice(first + 1, second);
  if (segment === 'state' || segment === 'secrets') {
    const third = path.indexOf('/', second + 1);
    return `/${third < 0 ? path.slice(from) : path.slice(from, third)}`;
  }
  if (segment !== 'actors' && path.slice(from, first) !== 'actors') return path;
  const p = path.slice(from);
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

/** Also resiliency/'s ResiliencyMetrics (structurally: the layers are peers). */
export class SidecarMetrics {
  /** Every family, registered with prom-client's Registry on the first scrape (prom-client is loaded then). */
  private readonly families: MetricFamily[] = [];
  private registry: Promise<Registry> | undefined;
  private readonly patterns: PathPattern[];
  private readonly http: TimedFamily;
  private readonly grpc: TimedFamily;
  private readonly ingress: TimedFamily;
  private readonly egress: TimedFamily;
  private readonly stateOps: TimedFamily;
  private readonly output: TimedFamily;
  private readonly input: TimedFamily;
  private readonly secrets: TimedFamily;
  private readonly loaded: CounterFamily;
  private readonly initTotal: CounterFamily;
  private readonly initFail: CounterFamily;
  private readonly invocationSent: CounterFamily;
  private readonly invocationReceived: CounterFamily;
  private readonly invocationResponsesSent: CounterFamily;
  private readonly invocationResponsesReceived: CounterFamily;
  private readonly invocationLatency: HistogramFamily;
  private readonly aclDecisions: Record<string, CounterFamily> = {};
  private readonly resiliencyLoadedCount: CounterFamily;
  private readonly resiliencyCount: CounterFamily;
  private readonly resiliencyActivations: CounterFamily;
  private readonly breakerState: GaugeFamily;

  constructor(
    private readonly appId: string,
    private readonly namespace: string,
    private readonly settings: MetricsSettings,
  ) {
    const registry = this.families;
    const buckets = settings.latencyBucketsMs;
    const timed = (count: string, countHelp: string, latency: string, latencyHelp: string, extra?: string) =>
      new TimedFamily(
        new CounterFamily(count, countHelp, registry),
        new HistogramFamily(latency, latencyHelp, registry, buckets),
        extra === undefined ? undefined : new CounterFamily(extra, 'The number of HTTP responses', registry),
      );
    this.http = timed(
      'dapr_http_server_request_count',
      'Number of HTTP requests started in server.',
      'dapr_http_server_latency',
      'HTTP request end-to-end latency in server.',
      settings.increasedCardinality ? 'dapr_http_server_response_count' : undefined,
    );
    this.grpc = timed(
      'dapr_grpc_io_server_completed_rpcs',
      'Count of RPCs by method and status.',
      'dapr_grpc_io_server_server_latency',
      'Distribution of server latency in milliseconds, by method.',
    );
    this.ingress = timed(
      'dapr_component_pubsub_ingress_count',
      'The number of incoming messages arriving from the pub/sub component.',
      'dapr_component_pubsub_ingress_latencies',
      'The consuming app event processing latency.',
    );
    this.egress = timed(
      'dapr_component_pubsub_egress_count',
      'The number of outgoing messages published to the pub/sub component.',
      'dapr_component_pubsub_egress_latencies',
      'The latency of the response from the pub/sub component.',
    );
    this.stateOps = timed(
      'dapr_component_state_count',
      'The number of operations performed on the state component.',
      'dapr_component_state_latencies',
      'The latency of the operation performed on the state component.',
    );
    this.output = timed(
      'dapr_component_output_binding_count',
      'The number of operations invoked on the output binding component.',
      'dapr_component_output_binding_latencies',
      'The latency of the response from the output binding component.',
    );
    this.input = timed(
      'dapr_component_input_binding_count',
      'The number of incoming events arriving from the input binding component.',
      'dapr_component_input_binding_latencies',
      'The triggering app event processing latency.',
    );
    this.secrets = timed(
      'dapr_component_secret_count',
      'The number of operations performed on the secret component.',
      'dapr_component_secret_latencies',
      'The latency of the operation performed on the secret component.',
    );
    this.loaded = new CounterFamily(
      'dapr_runtime_component_loaded',
      'The number of successfully loaded components.',
      registry,
    );
    this.initTotal = new CounterFamily(
      'dapr_runtime_component_init_total',
      'The number of initialized components.',
      registry,
    );
    this.initFail = new CounterFamily(
      'dapr_runtime_component_init_fail_total',
      'The number of component initialization failures.',
      registry,
    );
    this.invocationSent = new CounterFamily(
      'dapr_runtime_service_invocation_req_sent_total',
      'The number of requests sent via service invocation.',
      registry,
    );
    this.invocationReceived = new CounterFamily(
      'dapr_runtime_service_invocation_req_recv_total',
      'The number of requests received via service invocation.',
      registry,
    );
    this.invocationResponsesSent = new CounterFamily(
      'dapr_runtime_service_invocation_res_sent_total',
      'The number of responses sent via service invocation.',
      registry,
    );
    this.invocationResponsesReceived = new CounterFamily(
      'dapr_runtime_service_invocation_res_recv_total',
      'The number of responses received via service invocation.',
      registry,
    );
    this.invocationLatency = new HistogramFamily(
      'dapr_runtime_service_invocation_res_recv_latency_ms',
      'The latency of service invocation response.',
      registry,
      buckets,
    );
    for (const policy of ['app', 'global'])
      for (const action of ['allowed', 'blocked'])
        this.aclDecisions[`${policy} ${action}`] = new CounterFamily(
          `dapr_runtime_acl_${policy}_policy_action_${action}_total`,
          `The number of requests ${action} by the ${policy === 'app' ? 'app specific' : 'global'} action specified in the access control policy.`,
          registry,
        );
    this.resiliencyLoadedCount = new CounterFamily(
      'dapr_resiliency_loaded',
      'Number of resiliency policies loaded.',
      registry,
    );
    this.resiliencyCount = new CounterFamily(
      'dapr_resiliency_count',
      'Number of times a resiliency policyKey has been applied to a building block.',
      registry,
    );
    this.resiliencyActivations = new CounterFamily(
      'dapr_resiliency_activations_total',
      'Number of times a resiliency policyKey has been activated in a building block after a failure or after a state change.',
      registry,
    );
    this.breakerState = new GaugeFamily(
      'dapr_resiliency_cb_state',
      "A resiliency policy's current CircuitBreakerState state. 0 is closed, 1 is half-open, 2 is open, and -1 is unknown.",
      registry,
    );
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
    const verb = this.settings.excludeVerbs ? '' : HTTP_VERBS.has(method) ? method : 'UNKNOWN';
    const metricsPath = this.metricsPath(path);
    this.http.record(
      `${verb} ${status} ${metricsPath}`,
      () => ({ app_id: this.appId, method: verb, path: metricsPath, status: String(status) }),
      ms,
    );
  }

  grpcRpc(fullMethod: string, statusName: string, ms: number): void {
    this.grpc.record(
      `${statusName} ${fullMethod}`,
      () => ({ app_id: this.appId, grpc_server_method: fullMethod, grpc_server_status: statusName }),
      ms,
    );
  }

  pubsubIngress(component: string, topic: string, processStatus: PubSubProcessStatus, ms: number): void {
    this.ingress.record(
      `${processStatus}\u0000${component}\u0000${topic}`,
      () => ({
        app_id: this.appId,
        component,
        namespace: this.namespace,
        process_status: processStatus,
        status: processStatus,
        topic,
      }),
      ms,
    );
  }

  pubsubEgress(component: string, topic: string, success: boolean, ms: number): void {
    this.egress.record(
      `${success}\u0000${component}\u0000${topic}`,
      () => ({ app_id: this.appId, component, namespace: this.namespace, success: String(success), topic }),
      ms,
    );
  }

  private operation(family: TimedFamily, component: string, operation: string, success: boolean, ms: number) {
    family.record(
      `${success}\u0000${operation}\u0000${component}`,
      () => ({ app_id: this.appId, component, namespace: this.namespace, operation, success: String(success) }),
      ms,
    );
  }

  state(component: string, operation: string, success: boolean, ms: number): void {
    this.operation(this.stateOps, component, operation, success, ms);
  }

  outputBinding(component: string, operation: string, success: boolean, ms: number): void {
    this.operation(this.output, component, operation, success, ms);
  }

  secret(component: string, operation: string, success: boolean, ms: number): void {
    this.operation(this.secrets, component, operation, success, ms);
  }

  inputBinding(component: string, success: boolean, ms: number): void {
    this.input.record(
      `${success}\u0000${component}`,
      () => ({ app_id: this.appId, component, namespace: this.namespace, success: String(success) }),
      ms,
    );
  }

  componentInitialized(type: string): void {
    this.loaded.inc('', () => ({ app_id: this.appId }));
    this.initTotal.inc(type, () => ({ app_id: this.appId, component: type }));
  }

  componentInitFailed(type: string, reason: 'creation' | 'init', name: string): void {
    this.initFail.inc(`${type}\u0000${reason}\u0000${name}`, () => ({
      app_id: this.appId,
      component: type,
      reason,
      componentName: name,
    }));
  }

  invocationRequestSent(destinationAppId: string): void {
    this.invocationSent.inc(destinationAppId, () => ({
      app_id: this.appId,
      dst_app_id: destinationAppId,
      type: 'unary',
    }));
  }

  invocationResponseReceived(sourceAppId: string, status: number, ms: number): void {
    const key = `${status}\u0000${sourceAppId}`;
    const code = String(status);
    this.invocationResponsesReceived.inc(key, () => ({
      app_id: this.appId,
      src_app_id: sourceAppId,
      status: code,
      type: 'unary',
    }));
    const latency = this.invocationLatency;
    latency.observe(
      latency.at(key, () => ({ app_id: this.appId, src_app_id: sourceAppId, status: code })),
      ms,
    );
  }

  invocationRequestReceived(sourceAppId: string): void {
    this.invocationReceived.inc(sourceAppId, () => ({ app_id: this.appId, src_app_id: sourceAppId }));
  }

  invocationResponseSent(destinationAppId: string, status: number): void {
    this.invocationResponsesSent.inc(`${status}\u0000${destinationAppId}`, () => ({
      app_id: this.appId,
      dst_app_id: destinationAppId,
      status: String(status),
    }));
  }

  /** daprd labels these with the caller's identity (empty strings without one). */
  accessDecision(
    policy: 'app' | 'global',
    allowed: boolean,
    caller: { appId: string; namespace: string; trustDomain: string } | undefined,
  ): void {
    const family = this.aclDecisions[`${policy} ${allowed ? 'allowed' : 'blocked'}`]!;
    const appId = caller?.appId ?? '';
    const trustDomain = caller?.trustDomain ?? '';
    const namespace = caller?.namespace ?? '';
    family.inc(`${appId}\u0000${trustDomain}\u0000${namespace}`, () => ({
      app_id: appId,
      trust_domain: trustDomain,
      namespace,
    }));
  }

  resiliencyLoaded(name: string, namespace: string): void {
    this.resiliencyLoadedCount.inc(`${name}\u0000${namespace}`, () => ({ app_id: this.appId, name, namespace }));
  }

  private policyLabels(labels: PolicyLabels, kind: string, status: string): Record<string, string> {
    return {
      app_id: this.appId,
      name: labels.name,
      policy: kind,
      namespace: labels.namespace,
      flow_direction: labels.flowDirection,
      target: labels.target,
      status,
    };
  }

  private static policyKey(labels: PolicyLabels, kind: string, status: string): string {
    return `${labels.name}\u0000${labels.namespace}\u0000${kind}\u0000${labels.flowDirection}\u0000${labels.target}\u0000${status}`;
  }

  resiliencyExecuted(labels: PolicyLabels, kind: string, status: string): void {
    this.resiliencyCount.inc(SidecarMetrics.policyKey(labels, kind, status), () =>
      this.policyLabels(labels, kind, status),
    );
  }

  resiliencyActivated(labels: PolicyLabels, kind: string, status: string): void {
    this.resiliencyActivations.inc(SidecarMetrics.policyKey(labels, kind, status), () =>
      this.policyLabels(labels, kind, status),
    );
  }

  circuitBreakerState(labels: PolicyLabels, state: string): void {
    for (const status of BREAKER_STATES)
      this.breakerState.set(
        SidecarMetrics.policyKey(labels, 'circuitbreaker', status),
        () => this.policyLabels(labels, 'circuitbreaker', status),
        status === state ? 1 : 0,
      );
  }

  /** The Prometheus text of every family. */
  async text(): Promise<string> {
    this.registry ??= import('prom-client').then(({ Registry }) => {
      const registry = new Registry();
      for (const family of this.families) registry.registerMetric(family as never);
      return registry;
    });
    return (await this.registry).metrics();
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
        res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE });
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
