// bindings-output: an output binding through the sidecar's binding API, daprkit vs daprd on the same Redis.
// - "daprd + contrib": daprd (v1.16, scripts/daprd.sh) with its built-in bindings.redis;
// - "daprkit": the daprkit sidecar (its own process) with @daprkit/bindings-redis in process (bindings.redis).
// Load: autocannon, BENCH_CONCURRENCY connections, `POST /v1.0/bindings/cache` with
// {"operation":"create","data":{...64 B...},"metadata":{"key":"bench-binding-<i>"}} over 1,000 keys (Redis SET).
// Both servers run side by side; cells are interleaved (daprd, daprkit, daprd, ...) for BENCH_ROUNDS rounds and the
// median of each column is printed, with the load average before and after.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freePort, fullGc, printTable, settings, waitFor } from './harness.mjs';
import { httpStatus, startProcess } from './sidecar.mjs';

const root = new URL('..', import.meta.url).pathname;
const REDIS = process.env.DAPRKIT_REDIS_HOST ?? '127.0.0.1:6379';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const KEYS = 1000;
const sidecarBin = join(root, 'packages/sidecar/bin/daprkit-sidecar.js');
const value = { v: 'x'.repeat(56) };
const bodies = Array.from({ length: KEYS }, (_, i) =>
  JSON.stringify({ operation: 'create', data: value, metadata: { key: `bench-binding-${i}` } }),
);

const component = `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: cache
spec:
  type: bindings.redis
  version: v1
  metadata:
    - name: redisHost
      value: "${REDIS}"
    - name: redisDB
      value: "9"
`;

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function daprdPath() {
  const path =
    process.env.DAPRKIT_DAPRD ??
    execFileSync('bash', [join(root, 'scripts/daprd.sh'), 'path'])
      .toString()
      .trim();
  return existsSync(path) ? path : undefined;
}

async function healthy(port, proc, what) {
  await waitFor(
    async () => proc.exited() || (await httpStatus(port, '/v1.0/healthz')) === 204,
    60_000,
    () => `${what} not healthy within 60 s: ${proc.output().slice(-2000)}`,
  );
  if (proc.exited()) throw new Error(`${what} exited: ${proc.output().slice(-2000)}`);
}

async function startDaprd(daprd, resources, sockets) {
  const [http, grpc, internal, metrics] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const child = spawn(
    daprd,
    [
      ...['--app-id', 'bench-bindings', '--dapr-http-port', String(http), '--dapr-grpc-port', String(grpc)],
      ...['--dapr-internal-grpc-port', String(internal), '--metrics-port', String(metrics)],
      ...['--dapr-listen-addresses', '127.0.0.1', '--resources-path', resources, '--log-level', 'warn'],
    ],
    { env: { ...process.env, DAPR_COMPONENTS_SOCKETS_FOLDER: sockets }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const proc = {
    output: () => output,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    async stop() {
      if (proc.exited()) return;
      child.kill('SIGTERM');
      await new Promise((r) => (proc.exited() ? r() : child.once('exit', r)));
    },
  };
  await healthy(http, proc, 'daprd');
  return { port: http, proc };
}

async function startSidecar(resources, sockets) {
  const [http, grpc] = [await freePort(), await freePort()];
  const proc = startProcess(
    [
      sidecarBin,
      ...['--app-id', 'bench-bindings', '--dapr-http-port', String(http), '--dapr-grpc-port', String(grpc)],
      ...['--resources-path', resources, '--sockets-folder', sockets, '--log-level', 'warn'],
    ],
    'daprkit-sidecar',
  );
  await healthy(http, proc, 'daprkit-sidecar');
  return { port: http, proc };
}

/** One autocannon cell of binding creates; returns { perSec, p50ms, p99ms, bad }. */
async function cell(port, durationMs) {
  let i = 0;
  fullGc();
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: settings.concurrency,
    pipelining: 1,
    duration: durationMs / 1000,
    requests: [
      {
        setupRequest: (req) => ({
          ...req,
          method: 'POST',
          path: '/v1.0/bindings/cache',
          headers: { 'content-type': 'application/json' },
          body: bodies[i++ % KEYS],
        }),
      },
    ],
  });
  return {
    perSec: result.requests.total / result.duration,
    p50ms: result.latency.p50,
    p99ms: result.latency.p99,
    bad: result.non2xx + result.errors + result.timeouts,
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchBindingsOutput() {
  const columns = ['daprd + contrib', 'daprkit'];
  const rows = [{ scenario: 'redis create (HTTP POST /v1.0/bindings)' }];
  const notes = [];
  const daprd = daprdPath();
  if (daprd === undefined) {
    console.log('\nbindings-output: skipped — no daprd binary (bash scripts/daprd.sh builds one)');
    return rows;
  }
  if (!existsSync(join(root, 'packages/bindings-redis/dist/index.js'))) {
    console.log('\nbindings-output: skipped — @daprkit/bindings-redis is not built (pnpm build)');
    return rows;
  }
  const scratch = mkdtempSync(join(tmpdir(), 'dkb-bindings-'));
  const resources = join(scratch, 'resources');
  const sockets = join(scratch, 'no-sockets');
  mkdirSync(resources);
  mkdirSync(sockets);
  writeFileSync(join(resources, 'component.yaml'), component);
  const loadBefore = load();
  const servers = {};
  try {
    servers['daprd + contrib'] = await startDaprd(daprd, resources, sockets);
    servers.daprkit = await startSidecar(resources, sockets);
    // Fresh processes: one longer warm-up each, so the first measured cell does not pay for JIT or pools.
    for (const column of columns) await cell(servers[column].port, settings.processWarmupMs);
    const results = Object.fromEntries(columns.map((c) => [c, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const column of columns) {
        await cell(servers[column].port, settings.warmupMs);
        results[column].push(await cell(servers[column].port, settings.durationMs));
      }
    }
    for (const column of columns) {
      const rs = results[column];
      rows[0][column] = median(rs.map((r) => r.perSec));
      const bad = rs.reduce((n, r) => n + r.bad, 0);
      notes.push(
        `${column}: rounds ${rs.map((r) => r.perSec.toFixed(0)).join(' / ')} req/s; median p50/p99 ms ` +
          `${median(rs.map((r) => r.p50ms))}/${median(rs.map((r) => r.p99ms))}` +
          (bad ? `; ${bad} non-2xx/errors/timeouts` : ''),
      );
    }
  } catch (err) {
    notes.push(`failed: ${String(err?.message ?? err).split('\n')[0]}`);
  } finally {
    for (const s of Object.values(servers)) await s.proc.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
  notes.push(`load average before ${loadBefore}, after ${load()}`);
  printTable(
    'output binding: daprd with contrib bindings.redis vs daprkit-sidecar with @daprkit/bindings-redis',
    columns,
    rows,
    {
      unit: 'req/s',
      setup: `autocannon ${settings.concurrency} connections, median of ${ROUNDS} interleaved ${settings.durationMs} ms cells, Redis ${REDIS} db 9`,
      ratios: [['daprkit', 'daprd + contrib']],
      notes,
    },
  );
  return rows;
}
