/** `daprkit-sidecar` command line: daprd's flag names (single or double dash), env tokens, signal handling. */
import { parseArgs } from 'node:util';
import type { LogLevel } from '@daprkit/component-sdk';
import { DEFAULT_METRICS } from './observability/metrics-config.js';
import { createSidecar, type SidecarOptions } from './sidecar.js';
import { VERSION } from './version.js';

const USAGE = `daprkit-sidecar ${VERSION} — a Dapr-compatible sidecar

  --app-id ID                 application id (default: daprkit-app)
  --app-port PORT             where the app listens; enables subscriptions and input bindings
  --app-protocol http|grpc    how to call the app (default: http)
  --app-channel-address HOST  the app's address (default: 127.0.0.1)
  --dapr-http-port PORT       HTTP API port (default: 3500; 0 = any free port)
  --dapr-grpc-port PORT       gRPC API port (default: 50001; 0 = any free port; -1 = off)
  --listen-address HOST       bind address of both APIs (default: 127.0.0.1)
  --resources-path DIR        component/subscription/configuration YAML (repeatable; alias --components-path)
  --sockets-folder DIR        pluggable component sockets (default: $DAPR_COMPONENTS_SOCKETS_FOLDER or /tmp/dapr-components-sockets)
  --registry FILE             JSON map of component type -> npm package, added to the built-in registry
  --log-level LEVEL           debug | info | warn | error (default: info)

Env: DAPR_API_TOKEN (required on every API call when set), APP_API_TOKEN (sent to the app).
Without --resources-path: state store 'statestore' and pub/sub 'pubsub', both in memory.`;

export class UsageError extends Error {
  override name = 'UsageError';
}

function port(name: string, value: string | undefined, allowOff = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < (allowOff ? -1 : 0) || n > 65535)
    throw new UsageError(`--${name} must be a port number, got '${value}'`);
  return n;
}

/** Parses daprd-style arguments into sidecar options. */
export function parseSidecarArgs(argv: readonly string[]): SidecarOptions & { help?: boolean; version?: boolean } {
  // Go's flag package accepts `-flag` and `--port -1`; Node's parser wants `--flag` and `--port=-1`.
  const args: string[] = [];
  for (const arg of argv.map((a) => (/^-[a-z][a-z-]+/.test(a) ? `-${a}` : a))) {
    const previous = args.at(-1);
    if (/^-\d+$/.test(arg) && previous?.startsWith('--') && !previous.includes('='))
      args[args.length - 1] = `${previous}=${arg}`;
    else args.push(arg);
  }
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      'app-id': { type: 'string' },
      'app-port': { type: 'string' },
      'app-protocol': { type: 'string' },
      'app-channel-address': { type: 'string' },
      'dapr-http-port': { type: 'string' },
      'dapr-grpc-port': { type: 'string' },
      'listen-address': { type: 'string' },
      'dapr-listen-addresses': { type: 'string' },
      'resources-path': { type: 'string', multiple: true },
      'components-path': { type: 'string', multiple: true },
      'sockets-folder': { type: 'string' },
      registry: { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
  const protocol = values['app-protocol'] ?? 'http';
  if (protocol !== 'http' && protocol !== 'grpc')
    throw new UsageError(`--app-protocol must be http or grpc, got '${protocol}'`);
  const level = values['log-level'] ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(level))
    throw new UsageError(`--log-level must be debug, info, warn or error, got '${level}'`);
  const grpcPort = port('dapr-grpc-port', values['dapr-grpc-port'], true);
  const options: SidecarOptions & { help?: boolean; version?: boolean } = {
    appProtocol: protocol,
    logLevel: level as LogLevel,
    resourcesPaths: [...(values['resources-path'] ?? []), ...(values['components-path'] ?? [])],
    listenAddress:
      values['listen-address'] ??
      values['dapr-listen-addresses']
        ?.split(',')[0]
        ?.trim()
        .replace(/^\[(.*)\]$/, '$1') ??
      '127.0.0.1',
    grpcPort: grpcPort === -1 ? false : (grpcPort ?? 50001),
    httpPort: port('dapr-http-port', values['dapr-http-port']) ?? 3500,
  };
  if (values['app-id'] !== undefined) options.appId = values['app-id'];
  const appPort = port('app-port', values['app-port']);
  if (appPort !== undefined && appPort > 0) options.appPort = appPort;
  if (values['app-channel-address'] !== undefined) options.appChannelAddress = values['app-channel-address'];
  if (values['sockets-folder'] !== undefined) options.socketsFolder = values['sockets-folder'];
  if (values.registry !== undefined) options.registryFile = values.registry;
  if (values.help) options.help = true;
  if (values.version) options.version = true;
  return options;
}

export async function runSidecarCli(argv: readonly string[]): Promise<void> {
  let options: ReturnType<typeof parseSidecarArgs>;
  try {
    options = parseSidecarArgs(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (options.help) return void process.stdout.write(`${USAGE}\n`);
  if (options.version) return void process.stdout.write(`${VERSION}\n`);
  let exiting = false;
  const stop = async (code: number) => {
    if (exiting) return;
    exiting = true;
    await sidecar?.close().catch(() => {});
    process.exit(code);
  };
  let sidecar: Awaited<ReturnType<typeof createSidecar>> | undefined;
  try {
    sidecar = await createSidecar({
      ...options,
      // The daprd default for the command line; createSidecar alone leaves metrics off.
      metrics: options.metrics ?? DEFAULT_METRICS,
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
