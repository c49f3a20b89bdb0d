/** `serve()`: groups definitions by socket name and runs one gRPC server per socket. */
import { dirname, join, resolve } from 'node:path';
import { createLogger } from '../logger.js';
import type { Logger } from '../v1/common.js';
import type { ComponentDefinition } from '../v1/definition.js';
import { PluginMetrics, type PluginMetricsOptions, pluginMetricsFromEnv, startPluginMetricsServer } from './metrics.js';
import { resolveSocketFolder, SOCKET_EXTENSION } from './socket-files.js';
import { resolveTransport, type ServedSocket, SocketServer, type Transport } from './socket-server.js';

export type { ServedSocket, Transport } from './socket-server.js';

export interface ServeOptions {
  /** Grouped by `socketName`: one socket (one gRPC server) per name, every kind of that name on it. */
  components: ComponentDefinition[];
  /** Else DAPR_COMPONENTS_SOCKETS_FOLDER, DAPR_COMPONENT_SOCKETS_FOLDER, DAPR_COMPONENT_SOCKET_FOLDER, '/tmp/dapr-components-sockets'. */
  socketFolder?: string;
  /** Explicit socket file; only valid when exactly one socket name is served. */
  socketPath?: string;
  /**
   * Default 0o660 (or DAPRKIT_SOCKET_MODE, octal): the owner and the group may connect, other local users may not
   * (anyone who can connect can re-Init an instance). Widen it only on purpose. Applied after listen.
   */
  socketMode?: number;
  logger?: Logger;
  /** SIGTERM/SIGINT → graceful close, then exit; a second signal forces. Default false. */
  handleSignals?: boolean;
  /** Time in-flight unary calls get to finish on close before the server is forced down. Default 10 s. */
  drainTimeoutMs?: number;
  /** Server receive/send limit. Default 64 MiB: daprd may send requests above grpc's 4 MiB default. */
  maxMessageBytes?: number;
  /**
   * The gRPC engine: 'daprkit' (our own HTTP/2 framing on node:net) or 'grpc-js'. Default: DAPRKIT_TRANSPORT,
   * else the default engine.
   */
  transport?: Transport;
  /**
   * A Prometheus endpoint with calls, errors and latency per method and instance (unary calls). Off by default;
   * default: `DAPRKIT_METRICS_PORT` (+ `DAPRKIT_METRICS_HOST`, default 127.0.0.1) when set. `false` = off.
   */
  metrics?: PluginMetricsOptions | false;
}

export interface Served {
  sockets: ServedSocket[];
  /** The metrics endpoint's port, when metrics are on. */
  metricsPort?: number;
  /** Graceful: ends streams, drains unary calls, closes every component instance, unlinks the socket files. */
  close(): Promise<void>;
}

const DEFAULT_SOCKET_MODE = 0o660;

/** An octal file mode such as `660` or `0o600`; names `source` in the error. */
export function parseSocketMode(text: string, source: string): number {
  const digits = text.trim().replace(/^0o/i, '');
  if (!/^[0-7]{3,4}$/.test(digits) || Number.parseInt(digits, 8) > 0o777) {
    throw new Error(`${source} must be an octal mode like 660 or 600, got '${text}'`);
  }
  return Number.parseInt(digits, 8);
}
const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Socket paths served by this process, so a second serve() cannot silently unlink a live socket. */
const pathsInUse = new Set<string>();

export function groupBySocket(definitions: readonly ComponentDefinition[]): Map<string, ComponentDefinition[]> {
  if (definitions.length === 0) throw new Error('nothing to serve: no component definitions given');
  const groups = new Map<string, ComponentDefinition[]>();
  const byLowerCase = new Map<string, string>();
  for (const definition of definitions) {
    const name = definition.socketName;
    if (!name || name.includes('/')) throw new Error(`invalid socket name '${name}' (${definition.packageName})`);
    // daprd lower-cases component types, so names differing only in case would register the same types.
    const lower = name.toLowerCase();
    const seen = byLowerCase.get(lower);
    if (seen !== undefined && seen !== name)
      throw new Error(`socket names '${seen}' and '${name}' differ only in case; daprd would see one type`);
    byLowerCase.set(lower, name);
    const group = groups.get(name) ?? [];
    const clash = group.find((d) => d.kind === definition.kind);
    if (clash) {
      throw new Error(
        `duplicate socket name '${name}' for kind ${definition.kind} (${clash.packageName} and ${definition.packageName}): ` +
          'one socket serves one implementation per kind; give one of them another socket name',
      );
    }
    group.push(definition);
    groups.set(name, group);
  }
  return groups;
}

export async function serve(options: ServeOptions): Promise<Served> {
  const logger = options.logger ?? createLogger({ name: 'daprkit' });
  const groups = groupBySocket(options.components);
  if (options.socketPath !== undefined && groups.size !== 1) {
    throw new Error(`socketPath needs exactly one socket name, got ${groups.size}: ${[...groups.keys()].join(', ')}`);
  }
  const folder = resolve(resolveSocketFolder(options.socketFolder));
  const drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
  const transport = resolveTransport(options.transport);
  const paths = [...groups.keys()].map((name) =>
    options.socketPath !== undefined ? resolve(options.socketPath) : join(folder, `${name}${SOCKET_EXTENSION}`),
  );
  const busy = paths.find((path) => pathsInUse.has(path));
  if (busy) throw new Error(`socket ${busy} is already served by this process`);
  for (const path of paths) pathsInUse.add(path);

  const metricsOptions = options.metrics === undefined ? pluginMetricsFromEnv() : options.metrics || undefined;
  const metrics = metricsOptions ? new PluginMetrics(metricsOptions) : undefined;
  let metricsServer: Awaited<ReturnType<typeof startPluginMetricsServer>> | undefined;
  const sockets: SocketServer[] = [];
  try {
    if (metrics && metricsOptions) {
      metricsServer = await startPluginMetricsServer(metrics, metricsOptions);
      logger.info('metrics server started', { address: `${metricsOptions.host ?? '127.0.0.1'}:${metricsServer.port}` });
    }
    let index = 0;
    for (const [name, definitions] of groups) {
      const path = paths[index++]!;
      sockets.push(
        await SocketServer.start(name, definitions, {
          folder: dirname(path),
          path,
          socketMode:
            options.socketMode ??
            (process.env.DAPRKIT_SOCKET_MODE
              ? parseSocketMode(process.env.DAPRKIT_SOCKET_MODE, 'DAPRKIT_SOCKET_MODE')
              : DEFAULT_SOCKET_MODE),
          maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
          logger,
          transport,
          ...(metrics ? { metrics } : {}),
        }),
      );
      logger.info('serving pluggable components', {
        socket: name,
        path,
        services: sockets.at(-1)!.info.services,
        transport,
      });
    }
  } catch (err) {
    metricsServer?.server.close();
    await Promise.all(sockets.map((s) => s.close(0)));
    for (const path of paths) pathsInUse.delete(path);
    throw err;
  }

  let removeSignalHandlers = () => {};
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      removeSignalHandlers();
      try {
        await Promise.all(sockets.map((s) => s.close(drainTimeoutMs)));
        metricsServer?.server.closeAllConnections();
        metricsServer?.server.close();
      } finally {
        for (const path of paths) pathsInUse.delete(path);
      }
    })();
    return closing;
  };
  if (options.handleSignals) {
    removeSignalHandlers = installSignalHandlers(
      close,
      () => {
        for (const socket of sockets) socket.forceClose();
      },
      logger,
    );
  }
  return {
    sockets: sockets.map((s) => s.info),
    ...(metricsServer ? { metricsPort: metricsServer.port } : {}),
    close,
  };
}

/** First SIGTERM/SIGINT: graceful close then exit 0; a second one: force and exit 1. */
function installSignalHandlers(close: () => Promise<void>, force: () => void, logger: Logger): () => void {
  let received = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      logger.warn('second signal: forcing shutdown', { signal });
      force();
      process.exit(1);
    }
    received = true;
    logger.info('shutting down', { signal });
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('shutdown failed', { error: err instanceof Error ? err.message : String(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    // Keep listening while a graceful close runs, so that a second signal can still force it.
    if (received) return;
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}
