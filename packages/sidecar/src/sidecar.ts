/**
 * `createSidecar`: composes components, serves the Dapr HTTP and gRPC APIs, then connects to the app and starts
 * subscriptions and input bindings — in daprd's start-up order (spec §4.1), so `/v1.0/metadata` answers before
 * the app is reachable.
 */
import type { Server } from 'node:http';
import { join } from 'node:path';
import {
  type Component,
  type ComponentDefinition,
  createLogger,
  type Logger,
  type LogLevel,
  type Metadata,
  scopedLogger,
} from '@daprkit/component-sdk';
import { type AppChannel, type AppProtocol, createAppChannel } from './app/app-channel.js';
import { AppHealth, type AppHealthCheckOptions, validateAppHealthCheck } from './app/app-health.js';
import { waitForAppPort } from './app/http-channel.js';
import { Subscriber } from './app/subscriber.js';
import { mergeSubscriptions } from './app/subscriptions.js';
import { type ComponentDeclaration, composeComponents } from './composition/compose.js';
import { DEFAULT_SOCKETS_FOLDER } from './composition/pluggable.js';
import { DEFAULT_REGISTRY, readRegistryFile } from './composition/registry.js';
import type { ComponentTable } from './composition/table.js';
import type { startGrpcApi } from './grpc/server.js';
import { PUBLIC_ROUTES, startHttpApi } from './http/server.js';
import { loadAccessControl } from './invoke/access-control.js';
import { createGrpcProxy, type GrpcProxy } from './invoke/grpc-proxy.js';
import { type Invocation, startInvocation } from './invoke/index.js';
import { createNameResolver, nameResolutionConfig } from './nameresolution/index.js';
import type { NameResolver } from './nameresolution/types.js';
import { apiLoggingSettings } from './observability/api-logging.js';
import { instrumentComponents } from './observability/instrument-components.js';
import { SidecarMetrics, startMetricsServer } from './observability/metrics.js';
import { metricsSettings } from './observability/metrics-config.js';
import { createTracer } from './observability/tracing.js';
import { parseTracingConfig } from './observability/tracing-config.js';
import { crashPointsFromEnv } from './outbox/crash-points.js';
import { type OutboxRelays, startOutboxRelays } from './outbox/relay.js';
import { outboxTransactionHook } from './outbox/write.js';
import { applyOutboundPolicies } from './resiliency/apply.js';
import { decodeResiliency } from './resiliency/load.js';
import { Resiliency } from './resiliency/resiliency.js';
import { loadConfigurationFiles, loadResources, mergeConfigurations } from './resources/load.js';
import {
  type ConfigurationResource,
  DEFAULT_INIT_TIMEOUT_MS,
  type MetadataItem,
  type SubscriptionResource,
} from './resources/types.js';
import type { Runtime } from './runtime.js';
import { VERSION } from './version.js';

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
  /**
   * `--enable-metrics` / `--metrics-port` / `--metrics-listen-address` (Prometheus text, daprd's names). Undefined =
   * off for in-process use; the CLI passes `{enabled: true, port: 9090, host: '127.0.0.1'}` (loopback, not
   * daprd's 0.0.0.0). Configuration `spec.metric.enabled: false` also turns it off. Port 0 = any free port.
   */
  metrics?: { enabled: boolean; port: number; host: string };
  /** `--log-as-json`: one JSON object per line in daprd's shape. */
  logAsJson?: boolean;
  /** `--enable-api-logging`: one line per API call; undefined = `spec.logging.apiLogging.enabled`. */
  apiLogging?: boolean;
  /** `--enable-app-health-check` and its probe settings. */
  appHealthCheck?: AppHealthCheckOptions;
  /** The gRPC API's server engine: daprkit's own HTTP/2 (default) or grpc-js; default env DAPRKIT_TRANSPORT. */
  grpcTransport?: 'daprkit' | 'grpc-js';
  /** `--max-body-size`: HTTP and gRPC request body limit in bytes; default 4 MiB, ≤0 = no limit (as daprd). */
  maxBodySize?: number;
  /** `--read-buffer-size`: request line + headers limit in bytes, as Go's MaxHeaderBytes (+4 KiB slack); default 4 KiB. */
  readBufferSize?: number;
  /** `--unix-domain-socket`: serve the APIs on `<dir>/dapr-<appId>-http.socket` and `-grpc.socket` instead of TCP. */
  unixDomainSocket?: string;
  /** More bind addresses of both APIs (`--dapr-listen-addresses` after its first entry), on the same ports. */
  extraListenAddresses?: string[];
  /** `--dapr-graceful-shutdown-seconds`: how long `close()` waits for in-flight requests; default 5. */
  gracefulShutdownSeconds?: number;
  /** `--allowed-origins`: daprd 1.18's CORS (`''` = off, the default; `*`; or a CSV of origins with one `*` each). */
  allowedOrigins?: string;
  /** `--dapr-public-port`: health and metadata only, without the API token (as daprd, for probes); off by default. */
  publicPort?: number;
  /** `--dapr-public-listen-address`; default: the API listen address. */
  publicListenAddress?: string;
  /** Without an API token, web pages may still write (default false: browser-originated writes get 403). */
  allowBrowserRequests?: boolean;
  /**
   * `--access-control-trust-caller-id`: match Configuration `spec.accessControl` app policies against the app id
   * other sidecars assert (`dapr-caller-app-id`). Off by default: without mTLS daprd applies only `defaultAction`.
   */
  accessControlTrustCallerId?: boolean;
  /** Called when `POST /v1.0/shutdown` or gRPC Shutdown asks the sidecar to stop; default: `close()`. */
  onShutdownRequest?: (force: boolean) => void;
}

export interface Sidecar {
  readonly appId: string;
  readonly httpPort: number;
  readonly grpcPort: number | undefined;
  /** The `--dapr-public-port` listener's port, when there is one. */
  readonly publicPort: number | undefined;
  /** The internal (sidecar-to-sidecar) gRPC port other sidecars dial. */
  readonly internalGrpcPort: number;
  readonly components: ComponentTable;
  readonly runtime: Runtime;
  /** The Prometheus endpoint's port; undefined when metrics are off. */
  readonly metricsPort: number | undefined;
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

function closeServer(server: Server, graceMs = 2000): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), graceMs).unref();
  });
}

export async function createSidecar(options: SidecarOptions = {}): Promise<Sidecar> {
  const appId = options.appId ?? process.env.APP_ID ?? 'daprkit-app';
  const started = performance.now();
  const logger =
    options.logger ??
    createLogger({
      name: 'dapr.runtime',
      level: options.logLevel ?? 'info',
      ...(options.logAsJson !== undefined ? { json: options.logAsJson } : {}),
      appId,
      version: VERSION,
    });
  const resourcesPaths = options.resourcesPaths ?? [];
  const resources = resourcesPaths.length > 0 ? await loadResources(resourcesPaths, appId, logger) : undefined;
  const empty: ConfigurationResource = { secretScopes: [], componentDeny: [], features: [], spec: {} };
  const fromFiles = options.configPaths?.length ? await loadConfigurationFiles(options.configPaths) : empty;
  const configuration = mergeConfigurations(fromFiles, resources?.configuration ?? empty);
  const metricSettings = metricsSettings(options.metrics ?? { enabled: false, port: 0, host: '' }, configuration.spec);
  const metrics = metricSettings.enabled
    ? new SidecarMetrics(appId, process.env.NAMESPACE || 'default', metricSettings)
    : undefined;
  const apiLogging = apiLoggingSettings(options.apiLogging, configuration.spec);
  const appHealth = new AppHealth(validateAppHealthCheck(options.appHealthCheck), logger);
  // Before any component starts: a bad spec.tracing fails start-up with the field named.
  const accessControl = loadAccessControl(configuration.spec, {
    isHTTP: (options.appProtocol ?? 'http') === 'http',
    trustCallerId: options.accessControlTrustCallerId === true,
    logger,
    metrics,
  });
  const tracer = await createTracer(parseTracingConfig(configuration.spec), appId, logger);
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
  // Decoded before any component starts, so a bad policy fails fast; without a document only the built-ins exist.
  const resiliency = resources?.resiliency.length
    ? new Resiliency(decodeResiliency(resources.resiliency, logger), logger, metrics)
    : Resiliency.builtInOnly(logger);
  const components = await composeComponents(declarations, {
    appId,
    logger,
    registry,
    definitions: options.definitions ?? [],
    socketsFolder: options.socketsFolder ?? process.env.DAPR_COMPONENTS_SOCKETS_FOLDER ?? DEFAULT_SOCKETS_FOLDER,
    deny: configuration.componentDeny,
    cwd: process.cwd(),
    ...(metrics ? { onInit: metricsOnInit(metrics) } : {}),
  });
  // Metrics count each attempt a resiliency policy makes: instrument first, then wrap.
  if (metrics) instrumentComponents(components, metrics);
  applyOutboundPolicies(components, resiliency);

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
    resiliency,
    tracer,
    extendedMetadata: new Map(),
    subscriptions: [],
    app: options.appPort ? { port: options.appPort, ...app } : app,
    // Nothing is dialled before the first call; delivery waits for the app's port below.
    appChannel: options.appPort
      ? createAppChannel({ port: options.appPort, ...app }, { appId, appApiToken, logger })
      : undefined,
    transactionHooks: [],
    health: { outbound: false, runtime: false },
    metrics,
    apiLogging,
    appHealth,
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
  let resolver: NameResolver | undefined;
  let proxy: GrpcProxy | undefined;
  let publicHttp: Awaited<ReturnType<typeof startHttpApi>> | undefined;
  let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
  const graceMs = (options.gracefulShutdownSeconds ?? 5) * 1000;
  const socketPath = (api: 'http' | 'grpc') =>
    options.unixDomainSocket === undefined
      ? {}
      : { socketPath: join(options.unixDomainSocket, `dapr-${appId}-${api}.socket`) };
  const shared = {
    host: listenAddress,
    ...(apiToken ? { apiToken } : {}),
    ...(options.extraListenAddresses ? { extraHosts: options.extraListenAddresses } : {}),
    ...(options.maxBodySize === undefined ? {} : { maxBodySize: options.maxBodySize }),
  };
  try {
    // One name resolver (spec sidecar-wave2 §3; default mdns) for invocation and gRPC proxy mode; startInvocation
    // announces this sidecar with its internal port.
    const nameResolution = nameResolutionConfig(configuration.spec);
    const namespace = process.env.NAMESPACE || 'default';
    resolver = createNameResolver(nameResolution, logger);
    proxy = createGrpcProxy({
      appId,
      namespace,
      appAddress: app.protocol === 'grpc' && options.appPort ? `${app.channelAddress}:${options.appPort}` : undefined,
      ...(appApiToken ? { appApiToken } : {}),
      resolver,
      ...(options.internalGrpcPort ? { internalPort: options.internalGrpcPort } : {}),
      ...(accessControl ? { accessControl } : {}),
      logger,
    });
    if (metrics) {
      // Unlike daprd, a taken metrics port is not fatal: several sidecars on one machine all default to 9090.
      const metricsLog = scopedLogger(logger, 'dapr.metrics');
      metricsServer = await startMetricsServer(metrics, metricSettings.host, metricSettings.port).catch(
        (error: Error) => {
          metricsLog.error(`metrics server could not start on ${metricSettings.host}:${metricSettings.port}`, {
            error: error.message,
          });
          return undefined;
        },
      );
      if (metricsServer) metricsLog.info(`metrics server started on ${metricSettings.host}:${metricsServer.port}/`);
    }
    http = await startHttpApi(runtime, {
      ...shared,
      ...socketPath('http'),
      port: options.httpPort ?? 3500,
      ...(options.readBufferSize === undefined ? {} : { readBufferSize: options.readBufferSize }),
      ...(options.allowedOrigins === undefined ? {} : { allowedOrigins: options.allowedOrigins }),
      ...(options.allowBrowserRequests ? { allowBrowserRequests: true } : {}),
    });
    if (options.grpcPort !== false) {
      // Imported here, so that `grpcPort: false` (`--dapr-grpc-port -1`) never loads the gRPC stack.
      const { startGrpcApi } = await import('./grpc/server.js');
      grpc = await startGrpcApi(runtime, {
        ...shared,
        ...socketPath('grpc'),
        port: options.grpcPort ?? 50001,
        ...(options.grpcTransport ? { transport: options.grpcTransport } : {}),
        fallback: proxy.handle,
        graceMs,
      }).catch(async (error: unknown) => {
        await closeServer(http.server);
        throw error;
      });
    }
    if (options.publicPort !== undefined) {
      publicHttp = await startHttpApi(runtime, {
        host: options.publicListenAddress ?? listenAddress,
        port: options.publicPort,
        onlyRoutes: PUBLIC_ROUTES,
      }).catch(async (error: unknown) => {
        await Promise.allSettled([closeServer(http.server), grpc?.close()]);
        throw error;
      });
    }
  } catch (error) {
    if (metricsServer) await closeServer(metricsServer.server);
    runtime.appChannel?.close();
    proxy?.close();
    await resolver?.close().catch(() => {});
    await components.closeAll();
    throw error;
  }
  let invocation: Invocation;
  try {
    invocation = await startInvocation({
      appId,
      logger,
      resolver: resolver as NameResolver,
      internalFallback: (call) => proxy?.handle(call),
      resiliency,
      appHealthy: () => runtime.appHealth.healthy,
      resourcesPaths,
      appChannel: () => runtime.appChannel,
      appPort: options.appPort ?? 0,
      httpPort: http.port,
      internalPort: options.internalGrpcPort ?? 0,
      internalHost: options.internalGrpcListenAddress ?? listenAddress,
      appMaxConcurrency: options.appMaxConcurrency,
      ...(accessControl ? { accessControl } : {}),
      ...(tracer ? { tracer } : {}),
      ...(metrics ? { metrics } : {}),
    });
  } catch (error) {
    await Promise.allSettled([
      closeServer(http.server),
      grpc?.close(),
      publicHttp && closeServer(publicHttp.server),
      metricsServer && closeServer(metricsServer.server),
      resolver?.close(),
    ]);
    proxy?.close();
    runtime.appChannel?.close();
    await components.closeAll();
    await tracer?.shutdown();
    throw error;
  }
  runtime.invoker = invocation.invoker;
  runtime.health.outbound = true;
  const where = (api: 'http' | 'grpc', port: number) =>
    socketPath(api).socketPath === undefined
      ? `TCP address: ${[listenAddress, ...(options.extraListenAddresses ?? [])].map((h) => `${h}:${port}`).join(',')}`
      : `Unix socket: ${socketPath(api).socketPath}`;
  // daprd's wording (people and tools grep for it).
  scopedLogger(logger, 'dapr.runtime.http').info(`HTTP server listening on ${where('http', http.port)}`);
  if (grpc) scopedLogger(logger, 'dapr.runtime.grpc.api').info(`gRPC server listening on ${where('grpc', grpc.port)}`);
  scopedLogger(logger, 'dapr.runtime.grpc.internal').info(
    `Internal gRPC server listening on TCP address: ${options.internalGrpcListenAddress ?? listenAddress}:${invocation.internalServer.port}`,
  );
  if (publicHttp)
    scopedLogger(logger, 'dapr.runtime.http').info(
      `Public HTTP server listening on TCP address: ${options.publicListenAddress ?? listenAddress}:${publicHttp.port}`,
    );

  let subscriber: Subscriber | undefined;
  const declarative: SubscriptionResource[] = [
    ...(resources?.subscriptions ?? []),
    ...(options.subscriptions ?? []).map((s) => ({ ...s, name: '', scopes: [], type: 'DECLARATIVE' as const })),
  ];
  const connectApp = async (appChannel: AppChannel | undefined) => {
    if (appChannel === undefined || runtime.app.port === undefined) return;
    // daprd's wording (pkg/runtime/runtime.go), which people and tools grep for.
    logger.info(
      `application protocol: ${runtime.app.protocol}. waiting on port ${runtime.app.port}.  This will block until the app is listening on that port.`,
    );
    await waitForAppPort(runtime.app.channelAddress, runtime.app.port, shutdownAbort.signal);
    if (shutdownAbort.signal.aborted) return;
    const current = new Subscriber(components, appChannel, appId, logger, resiliency, metrics, tracer);
    subscriber = current;
    // Starts unhealthy with health checks on: subscribing waits for the first good probe (daprd).
    if (appHealth.enabled) {
      current.pause();
      appHealth.onChange((healthy) => {
        if (!healthy) return current.pause();
        current.resume().then(
          (started) => {
            if (started.length > 0) runtime.subscriptions = started;
          },
          (error: unknown) => logger.error('restarting delivery failed', { error: (error as Error).message }),
        );
      });
      appHealth.start(runtime.app.protocol, runtime.app.channelAddress, runtime.app.port);
    }
    if (components.pubsub.size > 0) {
      const programmatic = await appChannel.listSubscriptions();
      if (programmatic !== undefined) {
        const wanted = mergeSubscriptions(declarative, programmatic);
        const started = await current.start(wanted);
        runtime.subscriptions = appHealth.healthy ? started : [];
      }
    }
    await current.startInputBindings();
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
        logger.info(`dapr initialized. Status: Running. Init Elapsed ${Math.round(performance.now() - started)}ms`, {
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
    publicPort: publicHttp?.port,
    internalGrpcPort: invocation.internalServer.port,
    components,
    runtime,
    metricsPort: metricsServer?.port,
    ready,
    close() {
      closing ??= (async () => {
        shutdownAbort.abort();
        resiliency.close();
        appHealth.stop();
        subscriber?.stop();
        outboxRelays?.stop();
        await Promise.allSettled([
          closeServer(http.server, graceMs),
          http.close(),
          grpc?.close(),
          publicHttp && closeServer(publicHttp.server, graceMs),
          invocation.close(), // the internal server and the name resolver
          metricsServer && closeServer(metricsServer.server),
        ]);
        proxy?.close();
        runtime.appChannel?.close();
        await components.closeAll();
        await tracer?.shutdown();
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

/** daprd's component init counters (reason `creation` or `init`). */
function metricsOnInit(metrics: SidecarMetrics) {
  return (type: string, name: string, failure?: 'creation' | 'init') =>
    failure === undefined ? metrics.componentInitialized(type) : metrics.componentInitFailed(type, failure, name);
}
