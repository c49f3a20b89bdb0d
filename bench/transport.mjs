// transport: the plugin server's gRPC engine against grpc-go (issue 13). Two tables, each the median of
// BENCH_TRANSPORT_ROUNDS (default 3) interleaved rounds (every column once per round, in turn):
// 1. the Go daprd-like client (bench/go-client) straight on the socket of
//    - "Go plugin": bench/go-plugin (grpc-go, dapr's generated protos, reflection, the instance header),
//    - "daprkit": @daprkit/state-memory's bin on the daprkit engine (DAPRKIT_TRANSPORT=daprkit),
//    - "grpc-js": the same bin on grpc-js (DAPRKIT_TRANSPORT=grpc-js);
//    ops/s and the SERVER process's CPU per call (utime+stime from /proc/<pid>/stat over the measured run; less
//    sensitive to machine load than ops/s);
// 2. behind a real daprd (HTTP state save/get, autocannon): the same three plugins.
// The load average is printed with each table.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { goBinary, goClient, runGoClient } from './go.mjs';
import { printTable, settings, waitFor } from './harness.mjs';

const root = new URL('..', import.meta.url).pathname;
const memoryPluginBin = join(root, 'packages/state-memory/bin/daprkit-state-memory.js');
const ROUNDS = Number(process.env.BENCH_TRANSPORT_ROUNDS ?? 3);
const CLOCK_TICK_US = 10_000; // USER_HZ = 100 on Linux

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** utime + stime of `pid` in µs. */
function cpuMicros(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_US;
}

const median = (values) => {
  const sorted = values.filter((v) => v !== undefined).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function startServer(column, command, args, env, socket) {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return {
    column,
    child,
    async ready() {
      await waitFor(() => existsSync(socket) || child.exitCode !== null, 10_000, `${column} did not start`);
      if (child.exitCode !== null) throw new Error(`${column} exited: ${stderr.slice(-500)}`);
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(socket, { force: true });
    },
  };
}

function plugins(socket, goPlugin) {
  return [
    ...(goPlugin ? [['Go plugin', goPlugin, ['-socket', socket], {}]] : []),
    [
      'daprkit',
      process.execPath,
      [memoryPluginBin, '--socket', socket, '--log-level', 'warn'],
      { DAPRKIT_TRANSPORT: 'daprkit' },
    ],
    [
      'grpc-js',
      process.execPath,
      [memoryPluginBin, '--socket', socket, '--log-level', 'warn'],
      { DAPRKIT_TRANSPORT: 'grpc-js' },
    ],
  ];
}

export async function benchTransport() {
  const go = await goClient();
  const goPlugin = await goBinary('go-plugin');
  if (go.skip || goPlugin.skip) {
    console.log(`\ntransport: skipped — ${go.skip ?? goPlugin.skip}`);
    return;
  }
  if (!existsSync(join(root, 'packages/state-memory/dist/index.js'))) {
    console.log('\ntransport: skipped — @daprkit/state-memory is not built (pnpm build)');
    return;
  }
  return { direct: await direct(go.path, goPlugin.path), behind: await behindDaprd(goPlugin.path) };
}

/** Table 1: Go client → plugin socket, servers kept running across rounds (one socket folder each). */
async function direct(client, goPlugin) {
  const scratch = mkdtempSync(join(tmpdir(), 'dkb-tr-'));
  const servers = plugins('', goPlugin).map(([column, command, args, env], i) => {
    const socket = join(scratch, `p${i}.sock`);
    const fixed = args.map((a) => (a === '' ? socket : a));
    return { ...startServer(column, command, fixed, env, socket), socket };
  });
  const samples = {}; // `${op}|${column}` → { ops: [], cpu: [] }
  const notes = [];
  const loadBefore = load();
  try {
    for (const s of servers) await s.ready();
    // One-time process warm-up (JIT) for every server.
    for (const s of servers) {
      for (const op of ['set', 'get']) {
        await runGoClient(client, {
          socket: s.socket,
          op,
          extra: ['-duration', `${settings.processWarmupMs / 2}ms`, '-warmup', '0s'],
        });
      }
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const op of ['set', 'get']) {
        for (const s of servers) {
          await runGoClient(client, {
            socket: s.socket,
            op,
            extra: ['-duration', `${settings.warmupMs}ms`, '-warmup', '0s'],
          });
          const before = cpuMicros(s.child.pid);
          const r = await runGoClient(client, { socket: s.socket, op, extra: ['-warmup', '0s'] });
          const cpu = cpuMicros(s.child.pid) - before;
          const key = `${op}|${s.column}`;
          samples[key] ??= { ops: [], cpu: [] };
          samples[key].ops.push(r.opsPerSec);
          samples[key].cpu.push(r.ops > 0 ? cpu / r.ops : undefined);
        }
      }
    }
  } finally {
    for (const s of servers) await s.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
  const columns = servers.map((s) => s.column);
  const rows = ['set', 'get'].map((op) => {
    const row = { scenario: `${op === 'set' ? 'Set' : 'Get'} (64 B)` };
    for (const c of columns) row[c] = median(samples[`${op}|${c}`]?.ops ?? []);
    return row;
  });
  const cpuPerCall = {}; // op → column → µs
  for (const op of ['set', 'get']) {
    cpuPerCall[op] = {};
    const cpu = columns.map((c) => {
      const value = median(samples[`${op}|${c}`]?.cpu ?? []);
      cpuPerCall[op][c] = value;
      return `${c} ${value === undefined ? '-' : value.toFixed(1)}`;
    });
    notes.push(`server CPU µs per call, ${op}: ${cpu.join(', ')} (median of ${ROUNDS})`);
  }
  notes.push(`load average before ${loadBefore}, after ${load()}`);
  printTable('transport: Go daprd-like client → plugin socket', columns, rows, {
    setup: `${settings.concurrency} in flight, ${settings.durationMs} ms per cell, median of ${ROUNDS} interleaved rounds`,
    ratios: [
      ['daprkit', 'Go plugin'],
      ['grpc-js', 'Go plugin'],
      ['daprkit', 'grpc-js'],
    ],
    notes,
  });
  return { rows, cpuPerCall, load: `${loadBefore} → ${load()}` };
}

/** Table 2: daprd (real, v1.16 by default) in front of each plugin, HTTP state save/get with autocannon. */
async function behindDaprd(goPlugin) {
  const { component, daprdPath, resourcesFolder, startDaprd } = await import('./daprd.mjs');
  const daprd = daprdPath();
  if (daprd === undefined) {
    console.log('\ntransport behind daprd: skipped — no daprd binary (bash scripts/daprd.sh builds one)');
    return;
  }
  const { stateRun } = await import('./sidecar.mjs');
  const scratch = mkdtempSync(join(tmpdir(), 'dkb-trd-'));
  const sockets = join(scratch, 'sockets');
  const resources = resourcesFolder(scratch, 'res', component('state.memplugin', false), [sockets]);
  const samples = {};
  const notes = [];
  const loadBefore = load();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [column, command, args, env] of plugins(join(sockets, 'memplugin.sock'), goPlugin)) {
        const server = startServer(column, command, args, env, join(sockets, 'memplugin.sock'));
        let daprdProc;
        try {
          await server.ready();
          daprdProc = await startDaprd(daprd, resources, sockets)();
          const r = await stateRun(daprdProc.port);
          for (const [op, cell] of [
            ['save', r.save],
            ['get', r.get],
          ]) {
            samples[`${op}|${column}`] ??= [];
            samples[`${op}|${column}`].push(cell.perSec);
            if (cell.bad) notes.push(`${column} ${op} round ${round + 1}: ${cell.bad} non-2xx/errors`);
          }
        } catch (err) {
          notes.push(`${column} round ${round + 1}: failed: ${err.message.split('\n')[0]}`);
        } finally {
          await daprdProc?.proc.stop();
          await server.stop();
        }
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const columns = ['Go plugin', 'daprkit', 'grpc-js'];
  const rows = [
    ['save', 'state save (HTTP POST)'],
    ['get', 'state get (HTTP GET)'],
  ].map(([op, scenario]) => {
    const row = { scenario };
    for (const c of columns) row[c] = median(samples[`${op}|${c}`] ?? []);
    return row;
  });
  const loadAfter = load();
  notes.push(`daprd ${daprd}; load average before ${loadBefore}, after ${loadAfter}`);
  printTable('transport: daprd → in-memory state plugin', columns, rows, {
    unit: 'req/s',
    setup: `autocannon ${settings.concurrency} connections, ${settings.durationMs} ms per cell, median of ${ROUNDS} interleaved rounds`,
    ratios: [
      ['daprkit', 'Go plugin'],
      ['grpc-js', 'Go plugin'],
    ],
    notes,
  });
  return { rows, load: `${loadBefore} → ${loadAfter}` };
}
