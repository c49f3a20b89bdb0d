/**
 * Starts service invocation for one sidecar (spec sidecar-wave2 §1–§3): the internal gRPC server, the name
 * resolver with this sidecar's announcement, HTTPEndpoints, and the Invoker the HTTP and gRPC APIs use.
 */
import type { Logger } from '@daprkit/component-sdk';
import type { RawCall } from '@daprkit/component-sdk/transport';
import type { AppChannel } from '../app/app-channel.js';
import { hostAddress } from '../nameresolution/host-address.js';
import type { NameResolver } from '../nameresolution/types.js';
import type { Tracer } from '../observability/tracing.js';
import type { Resiliency } from '../resiliency/resiliency.js';
import { GRPC, type InvokeCall, type InvokeResult } from '../shared/invocation.js';
import { type AccessControlList, guardLocalInvoker } from './access-control.js';
import { loadHttpEndpoints } from './http-endpoints.js';
import { InternalClient } from './internal-client.js';
import { type InternalServer, startInternalServer } from './internal-server.js';
import { type InvocationMetrics, Invoker } from './invoker.js';
import { ConcurrencyLimit, localInvoker } from './local.js';

export { Invoker } from './invoker.js';

export interface InvocationOptions {
  appId: string;
  /** The name resolver (created by the caller so other code, e.g. gRPC proxying, can share it); init'ed here. */
  resolver: NameResolver;
  logger: Logger;
  resourcesPaths: readonly string[];
  appChannel: () => AppChannel | undefined;
  appPort: number;
  httpPort: number;
  /** `--dapr-internal-grpc-port` (0: a free port) and its listen address. */
  internalPort: number;
  internalHost: string;
  /** `--app-max-concurrency` (≤ 0 or undefined: unlimited). */
  appMaxConcurrency: number | undefined;
  /** App policies and the built-in service retries for calls to other apps. */
  resiliency?: Resiliency;
  /** False while app health checks say the app is unhealthy: calls into it fail fast (daprd). */
  appHealthy?: () => boolean;
  /** Methods of other services arriving on the internal port (gRPC proxy mode, invoke/grpc-proxy.ts). */
  internalFallback?: (call: RawCall) => void;
  /** Configuration `spec.accessControl`: checked for calls from other sidecars, not for self-invocation (daprd). */
  accessControl?: AccessControlList;
  /** Tracing on: callee spans for calls from other sidecars. */
  tracer?: Tracer;
  /** Metrics on: daprd's service invocation metrics, both halves. */
  metrics?: InvocationMetrics;
}

/** The callee half of the invocation metrics around the local invoker (after access control, as daprd). */
function measuredCallee(
  metrics: InvocationMetrics,
  invokeLocal: (call: InvokeCall) => Promise<InvokeResult>,
): (call: InvokeCall) => Promise<InvokeResult> {
  return async (call) => {
    const caller = call.metadata['dapr-caller-app-id']?.[0] || 'unknown';
    metrics.invocationRequestReceived(caller);
    try {
      const result = await invokeLocal(call);
      metrics.invocationResponseSent(caller, result.status);
      return result;
    } catch (error) {
      metrics.invocationResponseSent(caller, GRPC.INTERNAL);
      throw error;
    }
  };
}

export interface Invocation {
  readonly invoker: Invoker;
  readonly internalServer: InternalServer;
  readonly resolver: NameResolver;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export async function startInvocation(options: InvocationOptions): Promise<Invocation> {
  const namespace = process.env.NAMESPACE || 'default';
  const resolver = options.resolver;
  const endpoints = await loadHttpEndpoints(options.resourcesPaths, options.appId);
  const invokeLocal = localInvoker(
    options.appChannel,
    new ConcurrencyLimit(options.appMaxConcurrency ?? -1),
    options.appHealthy,
  );
  const measured = options.metrics ? measuredCallee(options.metrics, invokeLocal) : invokeLocal;
  const calleeInvoker = options.accessControl
    ? guardLocalInvoker(options.accessControl, namespace, measured)
    : measured;
  const internalServer = await startInternalServer({
    host: options.internalHost,
    port: options.internalPort,
    invokeLocal: calleeInvoker,
    ...(options.internalFallback ? { fallback: options.internalFallback } : {}),
    ...(options.tracer ? { tracing: { tracer: options.tracer, appId: options.appId } } : {}),
  });
  const client = new InternalClient();
  // Forwarded headers carry the host address; a loopback internal listener is what gets announced (daprd).
  const host = await hostAddress();
  const address = LOOPBACK.has(options.internalHost) ? options.internalHost.replace(/^\[(.*)\]$/, '$1') : host;
  try {
    await resolver.init({
      appId: options.appId,
      namespace,
      address,
      daprInternalPort: internalServer.port,
      daprHttpPort: options.httpPort,
      appPort: options.appPort,
    });
  } catch (error) {
    await internalServer.close();
    throw error;
  }
  const invoker = new Invoker({
    ...(options.resiliency ? { resiliency: options.resiliency } : {}),
    appId: options.appId,
    namespace,
    hostAddress: host,
    internalPort: internalServer.port,
    resolver,
    client,
    endpoints,
    invokeLocal,
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  return {
    invoker,
    internalServer,
    resolver,
    close: async () => {
      await Promise.allSettled([resolver.close(), internalServer.close()]);
      client.close();
    },
  };
}
