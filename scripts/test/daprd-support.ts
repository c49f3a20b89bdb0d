/**
 * Test support for driving a real daprd (built by scripts/daprd.sh): where the binary is, the CI rule for a missing
 * one, free ports, component YAML, a recording app, and daprd started on a socket folder and resources folder.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { freePort, waitFor as poll } from '@daprkit/component-sdk/testing';

export const REPO_ROOT = new URL('../../', import.meta.url).pathname;
export const DAPRD =
  process.env.DAPRKIT_DAPRD ??
  join(process.env.DAPRKIT_CACHE_DIR ?? join(process.env.HOME ?? '/root', '.cache/daprkit'), 'bin/daprd-1.16.0');

/**
 * daprd with the few alpha/beta components our packages pair with (bindings.mqtt3, pubsub.jetstream,
 * nameresolution.sqlite): `DAPRKIT_DAPRD_VARIANT=extra bash scripts/daprd.sh`, exported by scripts/test.sh.
 */
export const DAPRD_EXTRA =
  process.env.DAPRKIT_DAPRD_EXTRA ??
  join(process.env.DAPRKIT_CACHE_DIR ?? join(process.env.HOME ?? '/root', '.cache/daprkit'), 'bin/daprd-1.16.0-extra');

/** Why the daprd tests cannot run here (undefined = they can); with CI=true a reason is an error. */
export function daprdMissing(builtPackages: string[], binary: string = DAPRD): string | undefined {
  const build = binary === DAPRD_EXTRA ? 'DAPRKIT_DAPRD_VARIANT=extra bash scripts/daprd.sh' : 'bash scripts/daprd.sh';
  const missing = [
    ...(existsSync(binary) ? [] : [`no daprd at ${binary} (build it: ${build})`]),
    ...builtPackages
      .filter((pkg) => !existsSync(join(REPO_ROOT, 'packages', pkg, 'dist', 'index.js')))
      .map((pkg) => `${pkg} is not built (pnpm build)`),
  ];
  if (missing.length === 0) return undefined;
  if (process.env.CI === 'true') throw new Error(`the daprd tests need: ${missing.join('; ')}`);
  return missing.join('; ');
}

export function componentYaml(name: string, type: string, metadata: Record<string, string> = {}): string {
  const items = Object.entries(metadata).map(([k, v]) => `    - name: ${k}\n      value: ${JSON.stringify(v)}`);
  return `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${name}\nspec:\n  type: ${type}\n  version: v1\n  metadata:\n${items.length > 0 ? items.join('\n') : '    []'}\n`;
}

export interface Delivery {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** An app that declares `subscriptions` and records every event daprd posts to it (answering SUCCESS). */
export async function startRecordingApp(
  subscriptions: { pubsubname: string; topic: string; route: string }[],
): Promise<{ port: number; deliveries: Delivery[]; close(): Promise<void> }> {
  const deliveries: Delivery[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/dapr/subscribe') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(subscriptions));
        return;
      }
      const raw = Buffer.concat(chunks).toString();
      if (req.method === 'POST' && raw.length > 0)
        deliveries.push({
          path: req.url ?? '',
          headers: req.headers,
          body: JSON.parse(raw) as Record<string, unknown>,
        });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'SUCCESS' }));
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    deliveries,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Daprd {
  httpPort: number;
  grpcPort: number;
  /** `--dapr-internal-grpc-port`: what other sidecars dial (gRPC proxying, service invocation). */
  internalPort: number;
  child: ChildProcess;
  logs(): string;
  /** daprd's HTTP API; `json` is the parsed body when it is JSON. */
  api(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; headers: Headers; text: string; json: Record<string, unknown> }>;
  /** Polls until `probe` gives a value; a timeout error carries the end of daprd's log. */
  waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Starts daprd for `appId` on loopback with free ports, `DAPR_COMPONENTS_SOCKETS_FOLDER=socketsFolder`, and waits
 * for /v1.0/healthz. DAPRKIT_DAPRD_LOG_LEVEL / DAPRKIT_DAPRD_LOG_TAIL make timeouts print more of its log.
 */
export async function startDaprd(options: {
  appId: string;
  appPort?: number;
  /** Default http. */
  appProtocol?: 'http' | 'grpc';
  /** Default: DAPRD (the stablecomponents build); DAPRD_EXTRA for the built-ins our beta packages pair with. */
  binary?: string;
  /** More daprd flags (e.g. `--config <file>`), after ours: Go's flag package keeps the last of a repeated flag. */
  args?: readonly string[];
  resourcesPath: string;
  socketsFolder: string;
}): Promise<Daprd> {
  const [httpPort, grpcPort, internalPort, metricsPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const child: ChildProcess = spawn(
    options.binary ?? DAPRD,
    [
      ...['--app-id', options.appId],
      ...(options.appPort === undefined
        ? []
        : ['--app-port', String(options.appPort), '--app-protocol', options.appProtocol ?? 'http']),
      ...['--dapr-http-port', String(httpPort), '--dapr-grpc-port', String(grpcPort)],
      ...['--dapr-internal-grpc-port', String(internalPort), '--metrics-port', String(metricsPort)],
      ...['--dapr-listen-addresses', '127.0.0.1', '--resources-path', options.resourcesPath],
      ...['--log-level', process.env.DAPRKIT_DAPRD_LOG_LEVEL ?? 'info', '--dapr-graceful-shutdown-seconds', '1'],
      ...(options.args ?? []),
    ],
    {
      env: { ...process.env, DAPR_COMPONENTS_SOCKETS_FOLDER: options.socketsFolder },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let logs = '';
  child.stdout?.on('data', (c: Buffer) => (logs += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (logs += c.toString()));
  const tail = () => logs.slice(-(Number(process.env.DAPRKIT_DAPRD_LOG_TAIL) || 4000));

  const api: Daprd['api'] = async (method, path, body, headers = {}) => {
    const response = await fetch(`http://127.0.0.1:${httpPort}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {}
    return { status: response.status, headers: response.headers, text, json: json as Record<string, unknown> };
  };
  const waitFor: Daprd['waitFor'] = (probe, what, timeoutMs = 20_000) =>
    poll(probe, timeoutMs, what, { intervalMs: 100, detail: () => `--- daprd log (end)\n${tail()}` });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitFor(
      async () => ((await api('GET', '/v1.0/healthz').catch(() => ({ status: 0 }))).status === 204 ? true : undefined),
      'daprd to become healthy',
      60_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { httpPort, grpcPort, internalPort, child, logs: () => logs, api, waitFor, stop };
}

/** The version the daprd binary reports (`daprd --version`), e.g. `1.16.0`: the interop tests run on a matrix. */
export function daprdVersion(binary: string = DAPRD): string {
  return execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
}
