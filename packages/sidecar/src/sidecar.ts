/**
 * `createSidecar`: composes components, serves the Dapr HTTP and gRPC APIs, then connects to the app and starts
 * subscriptions and input bindings — in daprd's start-up order (spec §4.1), so `/v1.0/metadata` answers before
 * the app is reachable.
 */
import type { Server } from 'node:http';
import {
  type Component,
  type ComponentDefinition,
  createLogger,
  type Logger,
  type LogLevel,
  type Metadata,
} from '@daprkit/component-sdk';
import { type AppChannel, type AppProtocol, createAppChannel } from './app/app-channel.js';
import { waitForAppPort } from './app/http-channel.js';
import { Subscriber } from './app/subscriber.js';
import { mergeSubscriptions } from './app/subscriptions.js';
import { type ComponentDeclaration, composeComponents } from './composition/compose.js';
import { DEFAULT_SOCKETS_FOLDER } from './composition/pluggable.js';
import { DEFAULT_REGISTRY, readRegistryFile } from './composition/registry.js';
import type { ComponentTable } from './composition/table.js';
import type { startGrpcApi } from './grpc/server.js';
import { startHttpApi } from './http/server.js';
import { crashPointsFromEnv } from './outbox/crash-points.js';
import { type OutboxRelays, startOutboxRelays } from './outbox/relay.js';
import { outboxTransactionHook } from './outbox/write.js';
import { loadConfigurationFiles, loadResources, mergeConfigurations } from './resources/load.js';
import {
  type ConfigurationResource,
  DEFAULT_INIT_TIMEOUT_MS,
  type MetadataItem,
  type SubscriptionResource,
} from './resources/types.js';
import type { Runtime } from './runtime.js';

/** A component given in code: metadata as a plain map or as YAML-style items; `instance` skips type resolution. */
export interface ComponentInput {
  name: string;
  type: string;
  version?: string;
  metadata?: Metadata | MetadataItem[];
  instance?: Component;
  secretStore?: string;
  ignoreErrors?: boolean;
  initTimeoutMs?: number;
}

export interface SidecarOptions {
  appId?: string;
  appPort?: number;
  appProtocol?: AppProtocol;
  /** Where the app listens; default 127.0.0.1. */
  appChannelAddress?: string;
  /** HTTP API port; default 3500, 0 picks a free one. */
  httpPort?: number;
  /** gRPC API port; default 50001, 0 picks a free one, `false` disables the gRPC API. */
  grpcPort?: number | false;
  /** Bind address of both APIs; default 127.0.0.1 (never all interfaces unless asked). */
  listenAddress?: string;
  resourcesPaths?: string[];
  /** daprd's `--config`: Configuration files, merged in order (before any Configuration in the resources paths). */
  configPaths?: string[];
  components?: ComponentInput[];
  /** Declarative subscriptions given in code (merged like Subscription YAML). */
  subscriptions?: Omit<SubscriptionResource, 'type' | 'scopes' | 'name'>[];
  /** Extra `type → package` entries; `registryFile` is a JSON file of the same. */
  registry?: Record<string, string>;
  registryFile?: string;
  /** In-process implementations given directly (checked before the registry). */
  definitions?: ComponentDefinition[];
  socketsFolder?: string;
  /** Default: env DAPR_API_TOKEN. */
  apiToken?: string;
  /** Default: env APP_API_TOKEN. */
  appApiToken?: string;
  logger?: Logger;
  logLevel?: LogLevel;
  /** `--dapr-internal-grpc-port`: the sidecar-to-sidecar API (`dapr.proto.internals.v1`); 0 = any free port. */
  internalGrpcPort?: number;
  /** `--dapr-internal-grpc-listen-address`; default: the API listen address. */
  internalGrpcListenAddress?: string;
  /** `--app-max-concurrency`: at most this many calls into the app at once (-1 or undefined: unlimited). */
  appMaxConcurrency?: number;
  /** `--enable-metrics` / `--metrics-port` / `--metrics-listen-address` (Prometheus text, daprd's names). */
  metrics?: { enabled: boolean; port: number; host: string };
  /** `--log-as-json`: one JSON object per line in daprd's shape. */
  logAsJson?: boolean;
  /** `--enable-api-logging`: one line per API call; undefined = `spec.logging.apiLogging.enabled`. */
  apiLogging?: boolean;
  /** `--enable-app-health-check` and its probe settings. */
  appHealthCheck?: { enabled: boolean; path: string; intervalSeconds: number; timeoutMs: number; threshold: number };
  /** Called when `POST /v1.0/shutdown` or gRPC Shutdown asks the sidecar to stop; default: `close()`. */
  onShutdownRequest?: (force: boolean) => void;
}

export interface Sidecar {
  readonly appId: string;
  readonly httpPort: number;
  readonly grpcPort: number | undefined;
  readonly components: ComponentTable;
  readonly runtime: Runtime;
  /** Resolves once the app is reachable and subscriptions/input bindings started (immediately without an app). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

const EMBEDDED_DEFAULTS: ComponentInput[] = [
  { name: 'statestore', type: 'state.in-memory' },
  { name: 'pubsub', type: 'pubsub.in-memory' },
];

function declarationOf(input: ComponentInput): ComponentDeclaration {
  const metadata: MetadataItem[] = Array.isArray(input.metadata)
    ? input.metadata
    : Object.entries(input.metadata ?? {}).map(([name, value]) => ({ name, value }));
  const declaration: ComponentDeclaration = {
    name: input.name,
    type: input.type,
    version: input.version ?? 'v1',
    metadata,
    scopes: [],
    initTimeoutMs: input.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS,
    ignoreErrors: input.ignoreErrors ?? false,
    source: 'code',
  };
  if (input.secretStore !== undefined) declaration.secretStore = input.secretStore;
  if (input.instance !== undefined) declaration.instance = input.instance;
  return declaration;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 2000).unref();
  });
}

export async function createSidecar(options: SidecarOptions = {}): Promise<Sidecar> {
  const appId = options.appId ?? process.env.APP_ID ?? 'daprkit-app';
  const logger = options.logger ?? createLogger({ name: 'daprkit-sidecar', level: options.logLevel ?? 'info' });
  const resourcesPaths = options.resourcesPaths ?? [];
  const resources = resourcesPaths.length > 0 ? await loadResources(resourcesPaths, appId, logger) : undefined;
  const empty: ConfigurationResource = { secretScopes: [], componentDeny: [], features: [], spec: {} };
  const fromFiles = options.configPaths?.length ? await loadConfigurationFiles(options.configPaths) : empty;
  const configuration = mergeConfigurations(fromFiles, resources?.configuration ?? empty);
  const declarations = [...(resources?.components ?? []), ...(options.components ?? []).map(declarationOf)];
  if (resources === undefined && options.components === undefined) {
    logger.info('no --resources-path: using the embedded in-memory state store and pub/sub');
    declarations.push(...EMBEDDED_DEFAULTS.map(declarationOf));
  }
  const registry = {
    ...DEFAULT_REGISTRY,
    ...(options.registryFile ? await readRegistryFile(options.registryFile) : {}),
    ...options.registry,
  };
  const components = await composeComponents(declarations, {
    appId,
    logger,
    registry,
    definitions: options.definitions ?? [],
    socketsFolder: options.socketsFolder ?? process.env.DAPR_COMPONENTS_SOCKETS_FOLDER ?? DEFAULT_SOCKETS_FOLDER,
    deny: configuration.componentDeny,
    cwd: process.cwd(),
  });

  const listenAddress = options.listenAddress ?? '127.0.0.1';
  const shutdownAbort = new AbortController();
  let closing: Promise<void> | undefined;
  let sidecar: Sidecar;
  const app = {
    protocol: options.appProtocol ?? 'http',
    channelAddress: options.appChannelAddress ?? '127.0.0.1',
  } as const;
  const appApiToken = options.appApiToken ?? (process.env.APP_API_TOKEN || undefined);
  const runtime: Runtime = {
    appId,
    logger,
    components,
    configuration,
    extendedMetadata: new Map(),
    subscriptions: [],
    app: options.appPort ? { port: options.appPort, ...app } : app,
    // Nothing is dialled before the first call; delivery waits for the app's port below.
    appChannel: options.appPort
      ? createAppChannel({ port: options.appPort, ...app }, { appId, appApiToken, logger })
      : undefined,
    transactionHooks: [],
    health: { outbound: false, runtime: false },
    requestShutdown: (force) => {
      if (options.onShutdownRequest) options.onShutdownRequest(force);
      else void sidecar.close();
    },
  };
  // The outbox hooks into state transactions from here, so the state API knows nothing about it. The crash
  // points are test-only (DAPRKIT_OUTBOX_CRASH_AT) and undefined otherwise.
  const crashPoint = crashPointsFromEnv();
  runtime.transactionHooks.push(outboxTransactionHook(runtime, crashPoint));

  const apiToken = options.apiToken ?? (process.env.DAPR_API_TOKEN || undefined);
  if (!apiToken && !isLoopback(listenAddress)) {
    logger.warn(
      `listening on ${listenAddress} without DAPR_API_TOKEN: anyone who can reach this address can read and write state, publish and shut the sidecar down`,
    );
  }
  let http: Awaited<ReturnType<typeof startHttpApi>>;
  let grpc: Awaited<ReturnType<typeof startGrpcApi>> | undefined;
  try {
    http = await startHttpApi(runtime, {
      host: listenAddress,
      port: options.httpPort ?? 3500,
      ...(apiToken ? { apiToken } : {}),
    });
    if (options.grpcPort !== false) {
      // Imported here, so that `grpcPort: false` (`--dapr-grpc-port -1`) never loads the gRPC stack.
      const { startGrpcApi } = await import('./grpc/server.js');
      grpc = await startGrpcApi(runtime, {
        host: listenAddress,
        port: options.grpcPort ?? 50001,
        ...(apiToken ? { apiToken } : {}),
      }).catch(async (error: unknown) => {
        await closeServer(http.server);
        throw error;
      });
    }
  } catch (error) {
    runtime.appChannel?.close();
    await components.closeAll();
    throw error;
  }
  runtime.health.outbound = true;
  logger.info('Dapr APIs listening', {
    appId,
    http: `${listenAddress}:${http.port}`,
    grpc: grpc ? `${listenAddress}:${grpc.port}` : 'disabled',
  });

  let subscriber: Subscriber | undefined;
  const declarative: SubscriptionResource[] = [
    ...(resources?.subscriptions ?? []),
    ...(options.subscriptions ?? []).map((s) => ({ ...s, name: '', scopes: [], type: 'DECLARATIVE' as const })),
  ];
  const connectApp = async (appChannel: AppChannel | undefined) => {
    if (appChannel === undefined || runtime.app.port === undefined) return;
    await waitForAppPort(runtime.app.channelAddress, runtime.app.port, shutdownAbort.signal);
    if (shutdownAbort.signal.aborted) return;
    subscriber = new Subscriber(components, appChannel, appId, logger);
    if (components.pubsub.size > 0) {
      const programmatic = await appChannel.listSubscriptions();
      if (programmatic !== undefined)
        runtime.subscriptions = await subscriber.start(mergeSubscriptions(declarative, programmatic));
    }
    await subscriber.startInputBindings();
  };
  let outboxRelays: OutboxRelays | undefined;
  // After app subscriptions, as daprd does: a final event must not reach a broker before its subscriber exists.
  const startOutbox = async () => {
    if (shutdownAbort.signal.aborted) return;
    outboxRelays = await startOutboxRelays(runtime, logger, crashPoint);
  };
  const ready = connectApp(runtime.appChannel)
    .then(startOutbox)
    .then(
      () => {
        runtime.health.runtime = true;
        logger.info('sidecar ready', {
          app: options.appPort ? `${runtime.app.channelAddress}:${options.appPort}` : 'none',
        });
      },
      (error: unknown) => {
        logger.error('could not connect to the app', { error: (error as Error).message });
        throw error;
      },
    );
  ready.catch(() => {});

  sidecar = {
    appId,
    httpPort: http.port,
    grpcPort: grpc?.port,
    components,
    runtime,
    ready,
    close() {
      closing ??= (async () => {
        shutdownAbort.abort();
        subscriber?.stop();
        outboxRelays?.stop();
        await Promise.allSettled([closeServer(http.server), grpc?.close()]);
        runtime.appChannel?.close();
        await components.closeAll();
        logger.info('sidecar stopped');
      })();
      return closing;
    },
  };
  return sidecar;
}

/** 127.0.0.0/8, ::1 and localhost: the only addresses reachable from this machine alone. */
function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || /^127\.\d+\.\d+\.\d+$/.test(address);
}
