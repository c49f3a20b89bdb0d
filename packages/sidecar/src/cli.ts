/** `daprkit-sidecar` command line: every flag of daprd 1.18 (src/cli/flags.ts), env tokens, signal handling. */
import type { LogLevel } from '@daprkit/component-sdk';
import { FLAGS, ignoredFlags, type ParsedFlags, parseFlags, UsageError } from './cli/flags.js';
import { parseQuantityBytes } from './cli/quantity.js';
import { DEFAULT_METRICS } from './observability/metrics-config.js';
import type { createSidecar, SidecarOptions } from './sidecar.js';
import { DAPR_API_VERSION, VERSION } from './version.js';

export { UsageError };

const USAGE = `daprkit-sidecar ${VERSION} — a Dapr-compatible sidecar (Dapr API ${DAPR_API_VERSION})

Takes daprd 1.18's flags (one or two dashes; --flag value or --flag=value). The ones that matter here:
  --app-id ID                 application id (default: daprkit-app)
  --app-port PORT             where the app listens (0 or none: no app); enables subscriptions and input bindings
  --app-protocol http|grpc    how to call the app (default: http; https, grpcs and h2c are refused)
  --app-channel-address HOST  the app's address (default: 127.0.0.1)
  --dapr-http-port PORT       HTTP API port (default: 3500; 0 = any free port)
  --dapr-grpc-port PORT       gRPC API port (default: 50001; 0 = any free port; -1 = off)
  --dapr-listen-addresses CSV bind addresses of both APIs (default: 127.0.0.1); --listen-address is one address
  --unix-domain-socket DIR    serve the APIs on DIR/dapr-<app-id>-http.socket and -grpc.socket instead of TCP
  --resources-path DIR        component/subscription/configuration YAML (repeatable; alias --components-path)
  --config FILE               Configuration files, merged in order (repeatable)
  --max-body-size QUANTITY    HTTP and gRPC request body limit (default: 4Mi)
  --read-buffer-size QUANTITY request line + header limit, as daprd (default: 4Ki)
  --allowed-origins CSV       CORS origins ('*' = all; default: none, CORS off)
  --allow-browser-requests    without DAPR_API_TOKEN, still accept writes from web pages (see README)
  --access-control-trust-caller-id  match accessControl app policies on the caller id other sidecars assert
                              (unauthenticated: daprkit has no mTLS; see README)
  --dapr-graceful-shutdown-seconds N   (default: 5)
  --sockets-folder DIR        pluggable component sockets (default: $DAPR_COMPONENTS_SOCKETS_FOLDER or /tmp/dapr-components-sockets)
  --registry FILE             JSON map of component type -> npm package, added to the built-in registry
  --log-level LEVEL           debug | info | warn | error | fatal (default: info)
  --version                   the Dapr API version served; --build-info adds daprkit's

Flags for actors, scheduler, mTLS, the control plane and profiling are accepted and ignored, with one warning line.
Env: DAPR_API_TOKEN (required on every API call when set), APP_API_TOKEN (sent to the app).
Without --resources-path: state store 'statestore' and pub/sub 'pubsub', both in memory.`;

export type ParsedSidecarArgs = SidecarOptions & {
  help?: boolean;
  version?: boolean;
  buildInfo?: boolean;
  /** Given flags that have no effect here, for the one warning line. */
  ignored: string[];
};

function integer(name: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be ${max === 65535 ? 'a port number' : 'a whole number'}, got '${text}'`);
  return n;
}

function port(flags: ParsedFlags, name: string, allowOff = false): number | undefined {
  const value = flags.values.get(name);
  if (value === undefined || value === '') return undefined;
  return integer(name, value, allowOff ? -1 : 0, 65535);
}

function bool(flags: ParsedFlags, name: string): boolean | undefined {
  const value = flags.values.get(name);
  return value === undefined ? undefined : value === 'true';
}

function bytes(flags: ParsedFlags, quantityFlag: string, legacyFlag: string, legacyUnit: number): number | undefined {
  const quantity = flags.values.get(quantityFlag);
  try {
    if (quantity !== undefined) return parseQuantityBytes(quantityFlag, quantity);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const legacy = flags.values.get(legacyFlag);
  if (legacy === undefined) return undefined;
  const n = integer(legacyFlag, legacy, Number.MIN_SAFE_INTEGER);
  return n > 0 ? n * legacyUnit : n;
}

const PROTOCOLS = ['http', 'grpc', 'https', 'grpcs', 'h2c'];

function appProtocol(flags: ParsedFlags): 'http' | 'grpc' {
  let protocol = (flags.values.get('app-protocol') ?? 'http').toLowerCase() || 'http';
  if (!PROTOCOLS.includes(protocol))
    throw new UsageError(
      `invalid value for 'app-protocol': ${flags.values.get('app-protocol')} (daprd takes ${PROTOCOLS.join(', ')})`,
    );
  if (bool(flags, 'app-ssl')) protocol = protocol === 'http' ? 'https' : protocol === 'grpc' ? 'grpcs' : protocol;
  if (protocol !== 'http' && protocol !== 'grpc')
    throw new UsageError(
      `--app-protocol ${protocol}${bool(flags, 'app-ssl') ? ' (from --app-ssl)' : ''} is not supported by daprkit-sidecar: use http or grpc`,
    );
  return protocol;
}

/** daprd's app health-check flags with its defaults (≤0 → default) and its timeout/interval check. */
function appHealthCheck(flags: ParsedFlags): NonNullable<SidecarOptions['appHealthCheck']> {
  const int = (name: string, fallback: number) => {
    const value = flags.values.get(name);
    const n = value === undefined ? fallback : integer(name, value, Number.MIN_SAFE_INTEGER);
    return n <= 0 ? fallback : n;
  };
  const check = {
    enabled: bool(flags, 'enable-app-health-check') ?? false,
    path: flags.values.get('app-health-check-path') ?? '/healthz',
    intervalSeconds: int('app-health-probe-interval', 5),
    timeoutMs: int('app-health-probe-timeout', 500),
    threshold: int('app-health-threshold', 3),
  };
  if (check.timeoutMs > check.intervalSeconds * 1000)
    throw new UsageError("value for 'health-probe-timeout' must be smaller than 'health-probe-interval'");
  return check;
}

const LOG_LEVELS: Record<string, LogLevel> = {
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'error',
};

/** Parses daprd-style arguments into sidecar options. */
export function parseSidecarArgs(argv: readonly string[]): ParsedSidecarArgs {
  const flags = parseFlags(argv);
  const value = (name: string) => flags.values.get(name);
  const list = (name: string) => flags.lists.get(name) ?? [];

  const mode = value('mode') ?? 'standalone';
  if (mode !== 'standalone')
    throw new UsageError(`--mode ${mode} is not supported: daprkit-sidecar runs in standalone mode only`);
  if (bool(flags, 'enable-mtls'))
    throw new UsageError(
      '--enable-mtls is not supported: daprkit-sidecar has no Sentry certificates; sidecar-to-sidecar traffic is plaintext gRPC (run without --enable-mtls, or use daprd)',
    );
  const level = value('log-level') ?? 'info';
  if (!(level in LOG_LEVELS))
    throw new UsageError(`--log-level must be debug, info, warn, error or fatal, got '${level}'`);

  const grpcPort = port(flags, 'dapr-grpc-port', true);
  const listenAddresses = (value('listen-address') ?? value('dapr-listen-addresses') ?? '')
    .split(',')
    .map((a) => a.trim().replace(/^\[(.*)\]$/, '$1'))
    .filter((a) => a !== '');
  const options: ParsedSidecarArgs = {
    appProtocol: appProtocol(flags),
    logLevel: LOG_LEVELS[level]!,
    resourcesPaths: [...list('resources-path'), ...list('components-path')],
    listenAddress: listenAddresses[0] ?? '127.0.0.1',
    grpcPort: grpcPort === -1 ? false : (grpcPort ?? 50001),
    httpPort: port(flags, 'dapr-http-port') ?? 3500,
    appHealthCheck: appHealthCheck(flags),
    ignored: ignoredFlags(flags),
  };
  for (const endpoint of list('disable-init-endpoints'))
    if (!['config', 'subscribe', ''].includes(endpoint.toLowerCase()))
      throw new UsageError(`invalid value for 'disable-init-endpoints': ${endpoint} (daprd takes config, subscribe)`);
  if (listenAddresses.length > 1) options.extraListenAddresses = listenAddresses.slice(1);
  if (flags.positionals.length > 0) options.ignored.push(`arguments ${flags.positionals.join(' ')} (not flags)`);

  const appId = value('app-id');
  if (appId !== undefined && appId !== '') options.appId = appId;
  const appPort = port(flags, 'app-port');
  if (appPort !== undefined && appPort > 0) {
    if (appPort === options.httpPort)
      throw new UsageError(`the 'dapr-http-port' argument value ${appPort} conflicts with 'app-port'`);
    if (appPort === options.grpcPort)
      throw new UsageError(`the 'dapr-grpc-port' argument value ${appPort} conflicts with 'app-port'`);
    options.appPort = appPort;
  }
  const channel = value('app-channel-address');
  if (channel !== undefined && channel !== '') options.appChannelAddress = channel;
  const concurrency = value('app-max-concurrency');
  if (concurrency !== undefined) {
    const n = integer('app-max-concurrency', concurrency, Number.MIN_SAFE_INTEGER);
    options.appMaxConcurrency = n < 1 ? -1 : n;
  }
  if (list('config').length > 0) options.configPaths = list('config');

  const publicPort = port(flags, 'dapr-public-port');
  if (publicPort !== undefined) options.publicPort = publicPort;
  const publicAddress = value('dapr-public-listen-address');
  if (publicAddress) options.publicListenAddress = publicAddress;
  const internalPort = port(flags, 'dapr-internal-grpc-port');
  if (internalPort !== undefined) options.internalGrpcPort = internalPort;
  const internalAddress = value('dapr-internal-grpc-listen-address');
  if (internalAddress) options.internalGrpcListenAddress = internalAddress;

  const maxBodySize = bytes(flags, 'max-body-size', 'dapr-http-max-request-size', 1 << 20);
  if (maxBodySize !== undefined) options.maxBodySize = maxBodySize;
  const readBufferSize = bytes(flags, 'read-buffer-size', 'dapr-http-read-buffer-size', 1 << 10);
  if (readBufferSize !== undefined) options.readBufferSize = readBufferSize;
  const socketDir = value('unix-domain-socket');
  if (socketDir) options.unixDomainSocket = socketDir;
  const grace = value('dapr-graceful-shutdown-seconds');
  if (grace !== undefined) {
    const n = integer('dapr-graceful-shutdown-seconds', grace, Number.MIN_SAFE_INTEGER);
    options.gracefulShutdownSeconds = n < 0 ? 5 : n;
  }
  const origins = value('allowed-origins');
  if (origins !== undefined) options.allowedOrigins = origins;
  if (bool(flags, 'allow-browser-requests')) options.allowBrowserRequests = true;
  if (bool(flags, 'access-control-trust-caller-id')) options.accessControlTrustCallerId = true;

  // Metrics are on by default, as daprd's (DEFAULT_METRICS below: 127.0.0.1:9090; daprd binds 0.0.0.0); a port
  // already taken is logged, not fatal, so two sidecars started without flags both run. `dapr run` always passes
  // --metrics-port.
  const metricsFlags = ['enable-metrics', 'metrics-port', 'metrics-listen-address'];
  if (metricsFlags.some((f) => flags.values.has(f))) {
    options.metrics = {
      enabled: bool(flags, 'enable-metrics') ?? true,
      port: port(flags, 'metrics-port') ?? 9090,
      host: value('metrics-listen-address') || '127.0.0.1',
    };
  }
  const logAsJson = bool(flags, 'log-as-json');
  if (logAsJson !== undefined) options.logAsJson = logAsJson;
  const apiLogging = bool(flags, 'enable-api-logging');
  if (apiLogging !== undefined) options.apiLogging = apiLogging;

  const sockets = value('sockets-folder');
  if (sockets !== undefined) options.socketsFolder = sockets;
  const registry = value('registry');
  if (registry !== undefined) options.registryFile = registry;
  if (bool(flags, 'help')) options.help = true;
  if (bool(flags, 'version')) options.version = true;
  if (bool(flags, 'build-info')) options.buildInfo = true;
  return options;
}

/** Every flag name this CLI accepts (daprd's and daprkit's), for tests and `--help` checks. */
export const ACCEPTED_FLAGS: readonly string[] = Object.keys(FLAGS);

export async function runSidecarCli(argv: readonly string[]): Promise<void> {
  let options: ParsedSidecarArgs;
  try {
    options = parseSidecarArgs(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (options.help) return void process.stdout.write(`${USAGE}\n`);
  if (options.version) return void process.stdout.write(`${DAPR_API_VERSION}\n`);
  if (options.buildInfo)
    return void process.stdout.write(
      `Version: ${DAPR_API_VERSION}\nImplementation: daprkit-sidecar ${VERSION}\nNode: ${process.version}\n`,
    );
  const { ignored, help: _h, version: _v, buildInfo: _b, ...sidecarOptions } = options;
  if (ignored.length > 0)
    process.stderr.write(`daprkit-sidecar: ignoring what it does not implement: ${ignored.join(', ')}\n`);
  let exiting = false;
  const stop = async (code: number) => {
    if (exiting) return;
    exiting = true;
    await sidecar?.close().catch(() => {});
    process.exit(code);
  };
  let sidecar: Awaited<ReturnType<typeof createSidecar>> | undefined;
  try {
    // Imported here: `--help`, `--version` and usage errors never load the runtime.
    const { createSidecar } = await import('./sidecar.js');
    sidecar = await createSidecar({
      ...sidecarOptions,
      // The daprd default for the command line; createSidecar alone leaves metrics off.
      metrics: sidecarOptions.metrics ?? DEFAULT_METRICS,
      onShutdownRequest: (force) => {
        if (force) setTimeout(() => process.exit(1), 100);
        else void stop(0);
      },
    });
  } catch (error) {
    process.stderr.write(`daprkit-sidecar: ${(error as Error).message}\n`);
    process.exit(1);
  }
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
}
