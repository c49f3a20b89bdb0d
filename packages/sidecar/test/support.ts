/**
 * Test support: builds the sidecar once (the bin runs `dist/`), spawns it as a real process on free ports, and tears
 * every spawned process down. Ports are learnt from the sidecar's own start-up log line.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
export const REPO_ROOT = join(PACKAGE_DIR, '..', '..');
const BIN = join(PACKAGE_DIR, 'bin', 'daprkit-sidecar.js');

async function newestSource(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * Builds `packages/sidecar` (and its project references) when `dist/cli.js` is missing or older than `src/`, and
 * the bin's bundle (`dist/bundle/`) when it is missing or older than that build.
 * Test files run in parallel, so one build at a time, behind a lock directory.
 */
export async function ensureSidecarBuilt(extraProjects: string[] = []): Promise<void> {
  const lock = join(PACKAGE_DIR, '.test-build.lock');
  const deadline = Date.now() + 120_000;
  while (true) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}; remove it if no test run is active`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    const cli = join(PACKAGE_DIR, 'dist', 'cli.js');
    const stale = !existsSync(cli) || statSync(cli).mtimeMs < (await newestSource(join(PACKAGE_DIR, 'src')));
    const projects = [
      ...(stale ? ['packages/sidecar'] : []),
      ...extraProjects.filter((p) => !existsSync(join(REPO_ROOT, p, 'dist', 'index.js'))),
    ];
    if (projects.length > 0) {
      try {
        execFileSync('npx', ['tsc', '-b', ...projects], { cwd: REPO_ROOT, stdio: 'pipe' });
      } catch (error) {
        const output = `${(error as { stdout?: Buffer }).stdout ?? ''}${(error as { stderr?: Buffer }).stderr ?? ''}`;
        throw new Error(
          `building ${projects.join(', ')} failed (run \`npx tsc -b packages/sidecar\` from the repo root):\n${output}`,
        );
      }
    }
    // The bin runs dist/bundle/ when it is newer than the last `tsc -b` (scripts/bundle.mjs): rebuild it, so the
    // tests spawn what `pnpm build` ships.
    const bundle = join(PACKAGE_DIR, 'dist', 'bundle', 'cli.js');
    const built = statSync(join(PACKAGE_DIR, 'tsconfig.tsbuildinfo'), { throwIfNoEntry: false })?.mtimeMs ?? 0;
    if (!existsSync(bundle) || statSync(bundle).mtimeMs < built)
      execFileSync(process.execPath, [join(PACKAGE_DIR, 'scripts', 'bundle.mjs')], { stdio: 'pipe' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

const children = new Set<ChildProcess>();
// A worker torn down mid-test (hook timeout) must not leave sidecars behind.
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export interface SidecarProcess {
  httpPort: number;
  grpcPort: number;
  child: ChildProcess;
  logs(): string;
  stop(): Promise<void>;
}

export function stopProcess(child: ChildProcess): Promise<void> {
  children.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...children].map(stopProcess));
}

/** Spawns `daprkit-sidecar` with free API ports and waits for its "listening" log line. */
export async function startSidecarProcess(args: string[], env: Record<string, string> = {}): Promise<SidecarProcess> {
  const child = spawn(process.execPath, [BIN, '--dapr-http-port', '0', '--dapr-grpc-port', '0', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const ports = await new Promise<{ http: number; grpc: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sidecar did not start within 20s:\n${output}`)), 20_000);
    const check = () => {
      const httpLine = /HTTP server listening on TCP address: \S*:(\d+)/.exec(output);
      const grpcLine = /gRPC server listening on TCP address: \S*:(\d+)/.exec(output);
      if (httpLine && grpcLine) {
        clearTimeout(timer);
        resolve({ http: Number(httpLine[1]), grpc: Number(grpcLine[1]) });
      }
    };
    child.stderr?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sidecar exited with ${code} before listening:\n${output}`));
    });
  });
  return { httpPort: ports.http, grpcPort: ports.grpc, child, logs: () => output, stop: () => stopProcess(child) };
}

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A tiny app on node:http: `routes` answer by path; every request is recorded. */
export async function startApp(
  routes: Record<string, (request: Recorded, res: ServerResponse) => void>,
): Promise<{ port: number; requests: Recorded[]; server: Server; close(): Promise<void> }> {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      requests.push(recorded);
      const route = routes[`${recorded.method} ${recorded.url}`] ?? routes[recorded.url];
      if (route) route(recorded, res);
      else {
        res.writeHead(404);
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    server,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export { waitFor } from '@daprkit/component-sdk/testing';

export async function http(
  port: number,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method, body, headers });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json: json as Record<string, unknown> };
}

/**
 * Writes a Configuration document with static name resolution (`apps`: app id → `host:port` of its internal
 * server) and any other `spec` sections; returns its path. JSON is YAML, so the spec is written as JSON.
 */
export async function staticResolutionConfig(
  dir: string,
  name: string,
  apps: Record<string, string>,
  spec: Record<string, unknown> = {},
): Promise<string> {
  const file = join(dir, name);
  const full = { nameResolution: { component: 'static', configuration: { apps } }, ...spec };
  await writeFile(
    file,
    `apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: nr\nspec: ${JSON.stringify(full)}\n`,
  );
  return file;
}

/**
 * `describe` when a backend answered; otherwise skipped locally with how to start it, and a failing test under
 * CI=true (CI must provide every backend). `unavailable` is the probe's reason, undefined when reachable.
 */
export function describeWithBackend(
  name: string,
  unavailable: string | undefined,
  startHint: string,
  body: () => void,
): void {
  if (unavailable === undefined) describe(name, body);
  else if (process.env.CI === 'true')
    describe(name, () => it('has its backend', () => Promise.reject(new Error(`${unavailable}; CI must provide it`))));
  else describe.skip(`${name} [skipped: ${unavailable}; ${startHint}]`, body);
}

/** The Zipkin server of scripts/services.sh (DAPRKIT_ZIPKIN_URL) and the span fields the tracing tests read. */
export const ZIPKIN_URL = process.env.DAPRKIT_ZIPKIN_URL ?? 'http://127.0.0.1:9411';

export interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind?: string;
  tags?: Record<string, string>;
  localEndpoint?: { serviceName?: string };
}
