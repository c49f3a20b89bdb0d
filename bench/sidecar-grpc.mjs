// sidecar-grpc: the Dapr gRPC API (dapr.proto.runtime.v1.Dapr SaveState / GetState, one item of 64 B) of daprd
// and of the daprkit sidecar on the same kind of store, driven by the Go load client (bench/go-client, grpc-go,
// one connection, BENCH_CONCURRENCY calls in flight, raw protobuf), issue 13's "sidecar gRPC API" goal.
// Columns: daprd; the sidecar on grpc-js (DAPRKIT_TRANSPORT=grpc-js, the engine before issue 13); the sidecar on
// daprkit's own engine (the default). Stores: each one's built-in in-memory store, and Redis (daprd's Go
// state.redis vs @daprkit/state-redis in process) when Redis answers. BENCH_ROUNDS rounds (default 3) run the
// three columns in alternating order; the median of each cell is printed with the load average before and after.
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { component, daprdPath, resourcesFolder, startDaprd, startSidecar } from './daprd.mjs';
import { goClient, runGoClient } from './go.mjs';
import { printTable, settings } from './harness.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const REDIS = process.env.DAPRKIT_REDIS_HOST ?? '127.0.0.1:6379';
const COLUMNS = ['daprd', 'daprkit grpc-js', 'daprkit engine'];
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function reachable(hostPort) {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const socket = createConnection({ host, port: Number(port) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function benchStore(go, daprd, scratch, store) {
  const resources = resourcesFolder(scratch, store.name, component(store.type, store.redis), [join(scratch, 'none')]);
  const sockets = join(scratch, 'none');
  const servers = {};
  const results = Object.fromEntries(
    ['save', 'get'].map((op) => [op, Object.fromEntries(COLUMNS.map((c) => [c, []]))]),
  );
  const latency = Object.fromEntries(
    ['save', 'get'].map((op) => [op, Object.fromEntries(COLUMNS.map((c) => [c, []]))]),
  );
  try {
    servers.daprd = await startDaprd(daprd, resources, sockets)();
    servers['daprkit grpc-js'] = await startSidecar(resources, sockets, {
      ...process.env,
      DAPRKIT_TRANSPORT: 'grpc-js',
    })();
    servers['daprkit engine'] = await startSidecar(resources, sockets, {
      ...process.env,
      DAPRKIT_TRANSPORT: 'daprkit',
    })();
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? COLUMNS : [...COLUMNS].reverse();
      for (const op of ['save', 'get']) {
        for (const column of order) {
          const r = await runGoClient(go.path, {
            socket: '',
            op: op === 'save' ? 'api-save' : 'api-get',
            extra: ['-target', `127.0.0.1:${servers[column].grpc}`],
          });
          results[op][column].push(r.opsPerSec);
          latency[op][column].push(r.p50us);
        }
      }
    }
  } finally {
    for (const server of Object.values(servers)) await server.proc.stop();
  }
  const rows = ['save', 'get'].map((op) => {
    const row = { scenario: `${store.label}: ${op === 'save' ? 'SaveState' : 'GetState'}` };
    for (const c of COLUMNS) if (results[op][c].length > 0) row[c] = median(results[op][c]);
    return row;
  });
  const notes = ['save', 'get'].map(
    (op) =>
      `${store.label} ${op} p50 µs (median): ` +
      COLUMNS.map((c) => `${c} ${median(latency[op][c])?.toFixed(0) ?? '-'}`).join(', '),
  );
  return { rows, notes };
}

export async function benchSidecarGrpc() {
  const go = await goClient();
  const daprd = daprdPath();
  if (go.skip || daprd === undefined) {
    console.log(`\nsidecar-grpc: skipped — ${go.skip ?? 'no daprd binary (bash scripts/daprd.sh builds one)'}`);
    return [];
  }
  const stores = [{ name: 'memory', label: 'in-memory', type: 'state.in-memory', redis: false }];
  if (await reachable(REDIS)) stores.push({ name: 'redis', label: 'Redis', type: 'state.redis', redis: true });
  const scratch = mkdtempSync(join(tmpdir(), 'dkb-sidecar-grpc-'));
  const before = load();
  const rows = [];
  const notes = [];
  try {
    for (const store of stores) {
      const result = await benchStore(go, daprd, scratch, store);
      rows.push(...result.rows);
      notes.push(...result.notes);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (stores.length === 1) notes.push(`Redis at ${REDIS} not reachable: its rows are skipped`);
  notes.push(`daprd: ${daprd}; load average before ${before}, after ${load()}`);
  printTable('Dapr gRPC API: daprd vs the daprkit sidecar (grpc-js engine, daprkit engine)', COLUMNS, rows, {
    setup: `Go client, ${settings.concurrency} in flight on one connection, ${settings.durationMs} ms per cell, median of ${ROUNDS} interleaved rounds`,
    ratios: [
      ['daprkit grpc-js', 'daprd'],
      ['daprkit engine', 'daprd'],
    ],
    notes,
  });
  return rows;
}
