// daprd: the same Redis state traffic through a real daprd and through the daprkit sidecar, each with the Go or the
// daprkit component, so the cost of every piece shows side by side:
// - "daprd + Go": daprd (v1.16, scripts/daprd.sh) with its built-in state.redis — the all-Go reference;
// - "daprd + plugin": daprd with @daprkit/state-redis as a pluggable component on a unix socket (its bin);
// - "daprkit": the daprkit sidecar with @daprkit/state-redis in process;
// - "daprkit + plugin": the daprkit sidecar with the same plugin process on a socket.
// A second table isolates the plugin SDKs: daprd driving an in-memory store written in Go (bench/go-plugin: grpc-go
// and dapr's generated protos, as a Go SDK plugin is built) versus @daprkit/state-memory's bin.
// Load: HTTP state save (POST one item) and get, autocannon with BENCH_CONCURRENCY connections, as in `sidecar`.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goBinary } from './go.mjs';
import { freePort, printTable, settings, waitFor } from './harness.mjs';
import { httpStatus, startProcess, stateRun } from './sidecar.mjs';

const root = new URL('..', import.meta.url).pathname;
const REDIS = process.env.DAPRKIT_REDIS_HOST ?? '127.0.0.1:6379';
// BENCH_SIDECAR_BIN: another build of the sidecar (e.g. main's checkout) for before/after comparisons.
const sidecarBin = process.env.BENCH_SIDECAR_BIN ?? join(root, 'packages/sidecar/bin/daprkit-sidecar.js');
const pluginBin = join(root, 'packages/state-redis/bin/daprkit-state-redis.js');
const memoryPluginBin = join(root, 'packages/state-memory/bin/daprkit-state-memory.js');

const component = (type, redis = true) => `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
spec:
  type: ${type}
  version: v1
  metadata:
${redis ? `    - name: redisHost\n      value: "${REDIS}"` : '    []'}
`;

function daprdPath() {
  const path =
    process.env.DAPRKIT_DAPRD ??
    execFileSync('bash', [join(root, 'scripts/daprd.sh'), 'path'])
      .toString()
      .trim();
  return existsSync(path) ? path : undefined;
}

async function healthy(port, proc, what, pollMs) {
  await waitFor(
    async () => proc.exited() || (await httpStatus(port, '/v1.0/healthz')) === 204,
    60_000,
    () => `${what} not healthy within 60 s: ${proc.output().slice(-2000)}`,
    pollMs,
  );
  if (proc.exited()) throw new Error(`${what} exited: ${proc.output().slice(-2000)}`);
}

/**
 * Starters shared by the suites: each resolves once `/v1.0/healthz` answers 204, with `{ port, grpcPort, proc,
 * startupMs }` (`proc.pid` for /proc readings; `startupMs` = spawn → first 204, polled every `pollMs`).
 * `resources` undefined = no --resources-path (the sidecar's embedded defaults).
 */
/** `args`: more daprd flags (e.g. `--config <file>`). */
function startDaprd(daprd, resources, sockets, { pollMs, args = [] } = {}) {
  return async () => {
    const [http, grpc, internal, metrics] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const child = spawn(
      daprd,
      [
        ...['--app-id', 'bench', '--dapr-http-port', String(http), '--dapr-grpc-port', String(grpc)],
        ...['--dapr-internal-grpc-port', String(internal), '--metrics-port', String(metrics)],
        ...['--dapr-listen-addresses', '127.0.0.1', '--log-level', 'warn'],
        ...(resources ? ['--resources-path', resources] : []),
        ...args,
      ],
      { env: { ...process.env, DAPR_COMPONENTS_SOCKETS_FOLDER: sockets }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const spawnedAt = performance.now();
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const proc = {
      pid: child.pid,
      output: () => output,
      exited: () => child.exitCode !== null || child.signalCode !== null,
      async stop() {
        if (proc.exited()) return;
        child.kill('SIGTERM');
        await new Promise((r) => (proc.exited() ? r() : child.once('exit', r)));
      },
    };
    await healthy(http, proc, 'daprd', pollMs);
    return { port: http, grpc, grpcPort: grpc, proc, startupMs: performance.now() - spawnedAt };
  };
}

/** `env`: the sidecar's environment (e.g. DAPRKIT_TRANSPORT for its gRPC engine). */
function startSidecar(resources, sockets, env = process.env, { pollMs } = {}) {
  return async () => {
    const [http, grpc] = [await freePort(), await freePort()];
    const spawnedAt = performance.now();
    const proc = startProcess(
      [
        sidecarBin,
        ...['--app-id', 'bench', '--dapr-http-port', String(http), '--dapr-grpc-port', String(grpc)],
        ...(resources ? ['--resources-path', resources] : []),
        ...['--sockets-folder', sockets, '--log-level', 'warn'],
      ],
      'daprkit-sidecar',
      env,
    );
    proc.pid = proc.child.pid;
    await healthy(http, proc, 'daprkit-sidecar', pollMs);
    return { port: http, grpc, grpcPort: grpc, proc, startupMs: performance.now() - spawnedAt };
  };
}

export async function benchDaprd() {
  const rows = [{ scenario: 'state save (HTTP POST)' }, { scenario: 'state get (HTTP GET)' }];
  const notes = [];
  const columns = ['daprd + Go', 'daprd + plugin', 'daprkit', 'daprkit + plugin'];
  const daprd = daprdPath();
  if (daprd === undefined) {
    console.log('\ndaprd: skipped — no daprd binary (bash scripts/daprd.sh builds one)');
    return rows;
  }
  const scratch = mkdtempSync(join(tmpdir(), 'dkb-daprd-'));
  const sockets = join(scratch, 'sockets');
  const empty = join(scratch, 'no-sockets');
  const folder = (name, type) => resourcesFolder(scratch, name, component(type), [sockets, empty]);
  const plugin = startProcess([pluginBin, '--socket', join(sockets, 'dk-redis.sock'), '--log-level', 'warn'], 'plugin');
  try {
    await waitFor(() => existsSync(join(sockets, 'dk-redis.sock')) || plugin.exited(), 10_000, 'plugin did not start');
    const runs = [
      ['daprd + Go', startDaprd(daprd, folder('go', 'state.redis'), empty)],
      ['daprd + plugin', startDaprd(daprd, folder('plugin', 'state.dk-redis'), sockets)],
      ['daprkit', startSidecar(folder('inproc', 'state.redis'), empty)],
      ['daprkit + plugin', startSidecar(folder('plugin', 'state.dk-redis'), sockets)],
    ];
    for (const [column, start] of runs) {
      let server;
      try {
        server = await start();
        const r = await stateRun(server.port);
        rows[0][column] = r.save.perSec;
        rows[1][column] = r.get.perSec;
        notes.push(
          `${column} p50/p99 ms: save ${r.save.p50ms}/${r.save.p99ms}, get ${r.get.p50ms}/${r.get.p99ms}` +
            (r.save.bad + r.get.bad ? `; ${r.save.bad + r.get.bad} non-2xx/errors/timeouts` : ''),
        );
      } catch (err) {
        notes.push(`${column}: failed: ${err.message.split('\n')[0]}`);
      } finally {
        await server?.proc.stop();
      }
    }
  } finally {
    await plugin.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
  await benchPluginSdks(daprd);
  printTable('daprd vs daprkit (Redis state over HTTP)', columns, rows, {
    unit: 'req/s',
    setup: `autocannon ${settings.concurrency} connections, ${settings.durationMs} ms per cell, Redis ${REDIS}`,
    ratios: [
      ['daprd + plugin', 'daprd + Go'],
      ['daprkit', 'daprd + Go'],
      ['daprkit + plugin', 'daprd + plugin'],
    ],
    notes,
  });
  return rows;
}

function resourcesFolder(scratch, name, yaml, alsoCreate = []) {
  const dir = join(scratch, name);
  rmSync(dir, { recursive: true, force: true });
  execFileSync('mkdir', ['-p', dir, ...alsoCreate]);
  writeFileSync(join(dir, 'component.yaml'), yaml);
  return dir;
}

/** daprd + an in-memory plugin: the Go reference (bench/go-plugin) against @daprkit/state-memory's bin. */
async function benchPluginSdks(daprd) {
  const rows = [{ scenario: 'state save (HTTP POST)' }, { scenario: 'state get (HTTP GET)' }];
  const notes = [];
  const go = await goBinary('go-plugin');
  const scratch = mkdtempSync(join(tmpdir(), 'dkb-sdk-'));
  const sockets = join(scratch, 'sockets');
  const resources = resourcesFolder(scratch, 'res', component('state.memplugin', false), [sockets]);
  const socket = join(sockets, 'memplugin.sock');
  const plugins = [
    ...(go.path ? [['Go plugin', [go.path, '-socket', socket]]] : []),
    ['daprkit plugin', [process.execPath, memoryPluginBin, '--socket', socket, '--log-level', 'warn']],
  ];
  if (go.skip) notes.push(go.skip);
  try {
    for (const [column, [command, ...args]] of plugins) {
      const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let server;
      try {
        await waitFor(() => existsSync(socket) || child.exitCode !== null, 10_000, `${column} did not start`);
        server = await startDaprd(daprd, resources, sockets)();
        const r = await stateRun(server.port);
        rows[0][column] = r.save.perSec;
        rows[1][column] = r.get.perSec;
        notes.push(`${column} p50/p99 ms: save ${r.save.p50ms}/${r.save.p99ms}, get ${r.get.p50ms}/${r.get.p99ms}`);
      } catch (err) {
        notes.push(`${column}: failed: ${err.message.split('\n')[0]}`);
      } finally {
        await server?.proc.stop();
        child.kill('SIGTERM');
        await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
        rmSync(socket, { force: true });
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  printTable('daprd + an in-memory state plugin: Go (grpc-go) vs daprkit', ['Go plugin', 'daprkit plugin'], rows, {
    unit: 'req/s',
    setup: `autocannon ${settings.concurrency} connections through daprd, ${settings.durationMs} ms per cell`,
    notes,
  });
}

// For other suites: daprd's own component vs daprkit's (state-sqlite), daprd in front of each plugin engine (transport).
export { component, daprdPath, resourcesFolder, startDaprd, startSidecar };
