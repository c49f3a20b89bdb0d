/**
 * Where a call goes (spec sidecar-wave2 §1.1, §1.3, §1.5): `http(s)://` URLs and HTTPEndpoints are called from
 * here, this app's own id goes straight to the app channel, any other `appId[.namespace]` is resolved by name
 * resolution and sent over the internal API with daprd's forwarding and caller/callee metadata.
 */
import { hostname } from 'node:os';
import type { NameResolver } from '../nameresolution/types.js';
import type { Resiliency } from '../resiliency/resiliency.js';
import { GRPC, type InvokeCall, InvokeError, type InvokeResult } from '../shared/invocation.js';
import type { HttpEndpoint } from './http-endpoints.js';
import { invokeUrl } from './http-target.js';
import type { InternalClient } from './internal-client.js';

export interface InvokerOptions {
  appId: string;
  namespace: string;
  /** The announced host address (X-Forwarded-For / Forwarded). */
  hostAddress: string;
  /** The caller's own internal gRPC port (passed to the resolver, as daprd does). */
  internalPort: number;
  resolver: NameResolver;
  client: InternalClient;
  endpoints: ReadonlyMap<string, HttpEndpoint>;
  invokeLocal: (call: InvokeCall) => Promise<InvokeResult>;
  /** App policies (`targets.apps`) and DaprBuiltInServiceRetries around each remote call. */
  resiliency?: Resiliency;
  /** daprd's `service_invocation/*` metrics on the caller side; undefined when metrics are off. */
  metrics?: InvocationMetrics;
}

/** The caller and callee halves of daprd's `runtime/service_invocation/*` metrics (SidecarMetrics). */
export interface InvocationMetrics {
  invocationRequestSent(destinationAppId: string): void;
  invocationResponseReceived(sourceAppId: string, status: number, ms: number): void;
  invocationRequestReceived(sourceAppId: string): void;
  invocationResponseSent(destinationAppId: string, status: number): void;
}

/** Appends `value` to a metadata entry (whatever the case of its existing key). */
function append(metadata: InvokeCall['metadata'], name: string, value: string): void {
  const lower = name.toLowerCase();
  for (const key in metadata) {
    if (key.toLowerCase() === lower) {
      metadata[key]!.push(value);
      return;
    }
  }
  metadata[name] = [value];
}

export class Invoker {
  private readonly host = hostname();
  private readonly forwarded: string;

  constructor(private readonly options: InvokerOptions) {
    const addr = options.hostAddress.includes(':') ? `"[${options.hostAddress}]"` : options.hostAddress;
    this.forwarded = `for=${addr};by=${addr};host=${this.host}`;
  }

  async invoke(target: string, call: InvokeCall): Promise<InvokeResult> {
    if (/^https?:\/\//i.test(target)) return invokeUrl(target, call);
    const endpoint = this.options.endpoints.get(target);
    if (endpoint !== undefined) return this.measured(target, () => invokeUrl(endpoint.baseUrl, call, endpoint.headers));
    const parts = target.split('.');
    if (parts.length > 2) throw new InvokeError(GRPC.INVALID_ARGUMENT, `invalid app id ${target}`);
    const appId = parts[0]!;
    const namespace = parts[1] ?? this.options.namespace;
    if (appId === this.options.appId && namespace === this.options.namespace) return this.options.invokeLocal(call);
    const metadata = call.metadata;
    append(metadata, 'X-Forwarded-For', this.options.hostAddress);
    append(metadata, 'X-Forwarded-Host', this.host);
    append(metadata, 'Forwarded', this.forwarded);
    metadata['destination-app-id'] = [appId];
    metadata['dapr-caller-namespace'] = [this.options.namespace];
    metadata['dapr-caller-app-id'] = [this.options.appId];
    metadata['dapr-callee-app-id'] = [appId];
    return this.callApp(appId, namespace, call);
  }

  /**
   * One call to a remote app, resolution included, under the app's resiliency policy (timeouts, retries, circuit
   * breakers keyed `<appId>:<method>`) or, without a `targets.apps` entry, daprd's built-in service retries
   * (gRPC Unavailable/Unauthenticated only, 3 × 1 s, dropping the pooled connection first).
   */
  callApp(appId: string, namespace: string, call: InvokeCall): Promise<InvokeResult> {
    const { resiliency } = this.options;
    if (resiliency === undefined) return this.callOnce(appId, namespace, call);
    return resiliency.runWithAppPolicy({ appId, method: call.method }, () => this.callOnce(appId, namespace, call));
  }

  /** One request to `appId` (a remote sidecar or an HTTPEndpoint), counted as daprd does: responses only. */
  private async measured(appId: string, send: () => Promise<InvokeResult>): Promise<InvokeResult> {
    const metrics = this.options.metrics;
    if (metrics === undefined) return send();
    const start = performance.now();
    metrics.invocationRequestSent(appId);
    const result = await send();
    metrics.invocationResponseReceived(appId, result.status, performance.now() - start);
    return result;
  }

  private async callOnce(appId: string, namespace: string, call: InvokeCall): Promise<InvokeResult> {
    const address = await this.options.resolver.resolve({ id: appId, namespace, port: this.options.internalPort });
    try {
      return await this.measured(appId, () => this.options.client.call(address, call));
    } catch (error) {
      const code = (error as InvokeError).code;
      if (code === GRPC.UNAVAILABLE || code === GRPC.UNAUTHENTICATED) this.options.client.forget(address);
      throw error;
    }
  }
}
