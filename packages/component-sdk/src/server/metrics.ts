/**
 * Optional Prometheus endpoint of a plugin process (off by default): calls, errors and latency per gRPC method and
 * component instance, for every unary method daprd calls over the socket (streams such as PullMessages and Read
 * are not measured). Turned on by `ServeOptions.metrics`, the `--metrics-port` flag of the plugin bins, or
 * `DAPRKIT_METRICS_PORT`; it binds 127.0.0.1 unless told otherwise (`DAPRKIT_METRICS_HOST`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { Counter, Histogram, Registry } from 'prom-client';
import { GRPC_STATUS_NAMES } from '../transport/grpc-client.js';
import { instanceNameOf } from './instances.js';
import { type ServiceName, serviceDefinition } from './proto.js';

export const METRICS_PORT_ENV_VAR = 'DAPRKIT_METRICS_PORT';
export const METRICS_HOST_ENV_VAR = 'DAPRKIT_METRICS_HOST';

export interface PluginMetricsOptions {
  /** 0 = any free port (see `Served.metricsPort`). */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Latency buckets in ms; default daprd's. */
  latencyBucketsMs?: number[];
}

const BUCKETS_MS = [
  1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25, 30, 40, 50, 65, 80, 100, 130, 160, 200, 250, 300, 400, 500, 650, 800, 1000,
  2000, 5000, 10000, 20000, 50000, 100000,
];

/** `DAPRKIT_METRICS_PORT` (and `_HOST`) as options; undefined when unset. */
export function pluginMetricsFromEnv(env: NodeJS.ProcessEnv = process.env): PluginMetricsOptions | undefined {
  const raw = env[METRICS_PORT_ENV_VAR];
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${METRICS_PORT_ENV_VAR} must be a port number, got '${raw}'`);
  return { port, host: env[METRICS_HOST_ENV_VAR] || '127.0.0.1' };
}

type Handler = (
  call: { metadata: never },
  callback: (error: { code?: number } | null, value?: unknown) => void,
) => void;

export class PluginMetrics {
  readonly registry = new Registry();
  private readonly calls: Counter;
  private readonly errors: Counter;
  private readonly latency: Histogram;

  constructor(options: PluginMetricsOptions) {
    const labelNames = ['socket', 'service', 'method', 'instance'];
    const registers = [this.registry];
    this.calls = new Counter({
      name: 'daprkit_component_calls_total',
      help: 'gRPC calls the component served, by method, instance and status code.',
      labelNames: [...labelNames, 'code'],
      registers,
    });
    this.errors = new Counter({
      name: 'daprkit_component_errors_total',
      help: 'gRPC calls that ended with a status other than OK.',
      labelNames: [...labelNames, 'code'],
      registers,
    });
    this.latency = new Histogram({
      name: 'daprkit_component_call_latency_ms',
      help: 'Time from request to status, in ms.',
      labelNames,
      buckets: options.latencyBucketsMs ?? BUCKETS_MS,
      registers,
    });
  }

  private record(labels: Record<string, string>, code: number, ms: number): void {
    const codeName = GRPC_STATUS_NAMES[code] ?? 'UNKNOWN';
    this.calls.inc({ ...labels, code: codeName });
    if (code !== 0) this.errors.inc({ ...labels, code: codeName });
    this.latency.observe(labels, ms);
  }

  /** The same implementation with every unary method measured at its callback; stream methods untouched. */
  instrument(socket: string, service: ServiceName, implementation: UntypedServiceImplementation) {
    const definition = serviceDefinition(service);
    const shortService = service.slice(service.lastIndexOf('.') + 1);
    const wrapped: UntypedServiceImplementation = {};
    for (const [method, handler] of Object.entries(implementation)) {
      const streaming = definition[method]?.requestStream || definition[method]?.responseStream;
      const base = { socket, service: shortService, method };
      const original = handler as unknown as Handler;
      if (streaming) {
        wrapped[method] = handler;
        continue;
      }
      wrapped[method] = ((
        call: { metadata: never },
        callback: (error: { code?: number } | null, value?: unknown) => void,
      ) => {
        const start = performance.now();
        original(call, (error, value) => {
          this.record(
            { ...base, instance: instanceNameOf(call.metadata) },
            error ? (error.code ?? 2) : 0,
            performance.now() - start,
          );
          callback(error, value);
        });
      }) as unknown as UntypedServiceImplementation[string];
    }
    return wrapped;
  }
}

export async function startPluginMetricsServer(
  metrics: PluginMetrics,
  options: PluginMetricsOptions,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (error: unknown) => res.writeHead(500).end((error as Error).message),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}
