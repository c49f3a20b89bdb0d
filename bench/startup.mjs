// startup: how long a sidecar takes from spawn to its first `/v1.0/healthz` 204, and its RSS right after that and
// after a short HTTP state load, daprd against daprkit-sidecar (issue 13's goal: ≤ 1.0× daprd for both).
// Two configurations, each server in its own process on free ports:
// - "in-memory": daprkit-sidecar with its embedded defaults (no --resources-path); daprd with the YAML that gives
//   it the same API (state.in-memory `statestore`, pubsub.in-memory `pubsub`);
// - "Redis YAML": both with the same typical YAML (state.redis + pubsub.redis on DAPRKIT_REDIS_HOST, db 9),
//   skipped with a line when Redis is unreachable.
// BENCH_STARTUP_ROUNDS (default 3) interleaved rounds (daprd, daprkit, daprkit, daprd, …), a fresh process per
// cell; the median of each is printed with every round's figure and the load average before and after. Besides wall
// time it reads the CPU the process used until healthy (utime + stime, all threads, from /proc; 10 ms ticks): on this
// shared machine the wall time mostly measures the queue for a core, the CPU time what the start itself costs.
// The load is autocannon state save then get, BENCH_STARTUP_LOAD_MS (default 2000) each, as in `sidecar`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { daprdPath, resourcesFolder, startDaprd, startSidecar } from './daprd.mjs';
import { printTable, settings } from './harness.mjs';
import { cannon, getRequest, saveRequest } from './sidecar.mjs';

const ROUNDS = Number(process.env.BENCH_STARTUP_ROUNDS ?? 3);
const LOAD_MS = Number(process.env.BENCH_STARTUP_LOAD_MS ?? 2000);
const REDIS = process.env.DAPRKIT_REDIS_HOST ?? '127.0.0.1:6379';
const POLL_MS = 5;

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

const median = (values) => {
  const sorted = values.filter((v) => v !== undefined).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** utime + stime of `pid` (every thread) in ms: the CPU a start cost, much less load-sensitive than wall time. */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // USER_HZ = 100
}

/** VmRSS of `pid` in MiB. */
function rssMiB(pid) {
  const kib = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kib === undefined ? undefined : Number(kib) / 1024;
}

const yaml = (components) =>
  components
    .map(
      ([name, type, metadata]) => `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: ${type}
  version: v1
  metadata:
${metadata.length ? metadata.map(([k, v]) => `    - name: ${k}\n      value: "${v}"`).join('\n') : '    []'}
`,
    )
    .join('---\n');

function reachable(hostPort) {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** One cell: start, read RSS at healthy, drive save + get, read RSS again, stop. */
async function cell(start) {
  const server = await start();
  try {
    const cpu = cpuMs(server.proc.pid);
    const idle = rssMiB(server.proc.pid);
    const save = await cannon(server.port, saveRequest, LOAD_MS);
    const get = await cannon(server.port, getRequest, LOAD_MS);
    return {
      startupMs: server.startupMs,
      cpu,
      idle,
      loaded: rssMiB(server.proc.pid),
      bad: save.bad + get.bad,
      rate: `${save.perSec.toFixed(0)}/${get.perSec.toFixed(0)}`,
    };
  } finally {
    await server.proc.stop();
  }
}

export async function benchStartup() {
  const daprd = daprdPath();
  if (daprd === undefined) {
    console.log('\nstartup: skipped — no daprd binary (bash scripts/daprd.sh builds one)');
    return;
  }
  const scratch = mkdtempSync(join(tmpdir(), 'dkb-startup-'));
  const sockets = join(scratch, 'no-sockets');
  const redisUp = await reachable(REDIS);
  const redisMeta = [
    ['redisHost', REDIS],
    ['redisDB', '9'],
  ];
  const configs = [
    {
      name: 'in-memory',
      daprd: resourcesFolder(
        scratch,
        'memory',
        yaml([
          ['statestore', 'state.in-memory', []],
          ['pubsub', 'pubsub.in-memory', []],
        ]),
        [sockets],
      ),
      daprkit: undefined,
    },
  ];
  if (redisUp) {
    const folder = resourcesFolder(
      scratch,
      'redis',
      yaml([
        ['statestore', 'state.redis', redisMeta],
        ['pubsub', 'pubsub.redis', redisMeta],
      ]),
    );
    configs.push({ name: 'Redis YAML', daprd: folder, daprkit: folder });
  }
  const columns = ['daprd', 'daprkit'];
  const rows = [];
  const notes = [];
  const loadBefore = load();
  try {
    for (const config of configs) {
      const starters = {
        daprd: startDaprd(daprd, config.daprd, sockets, { pollMs: POLL_MS }),
        daprkit: startSidecar(config.daprkit, sockets, process.env, { pollMs: POLL_MS }),
      };
      const samples = { daprd: [], daprkit: [] };
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? columns : [...columns].reverse();
        for (const column of order) {
          try {
            samples[column].push(await cell(starters[column]));
          } catch (err) {
            notes.push(`${config.name} ${column} round ${round + 1}: failed: ${err.message.split('\n')[0]}`);
          }
        }
      }
      const row = (what, key) => ({
        scenario: `${config.name}: ${what}`,
        ...Object.fromEntries(columns.map((c) => [c, median(samples[c].map((s) => s[key]))])),
      });
      rows.push(row('spawn → healthz 204 (ms)', 'startupMs'), row('CPU to healthy (ms)', 'cpu'));
      rows.push(row('RSS at healthy (MiB)', 'idle'));
      rows.push(row(`RSS after load (MiB)`, 'loaded'));
      for (const c of columns) {
        const s = samples[c];
        notes.push(
          `${config.name} ${c}: start ${s.map((x) => x.startupMs.toFixed(0)).join(' / ')} ms; CPU ${s
            .map((x) => x.cpu)
            .join(' / ')} ms; RSS ${s
            .map((x) => `${x.idle?.toFixed(0)}→${x.loaded?.toFixed(0)}`)
            .join(' / ')} MiB; save/get req/s ${s.map((x) => x.rate).join(' / ')}` +
            (s.some((x) => x.bad) ? `; ${s.reduce((n, x) => n + x.bad, 0)} non-2xx/errors` : ''),
        );
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (!redisUp) notes.push(`Redis YAML: skipped — Redis ${REDIS} unreachable (bash scripts/services.sh up redis)`);
  notes.push(`load average ${loadBefore} → ${load()}`);
  printTable('startup: spawn → /v1.0/healthz 204 and RSS, daprd vs daprkit-sidecar', columns, rows, {
    unit: 'ms / MiB, lower is better',
    setup: `median of ${ROUNDS} interleaved rounds, fresh process per cell, load = autocannon ${settings.concurrency} connections, state save then get ${LOAD_MS} ms each`,
    ratios: [['daprkit', 'daprd']],
    notes,
  });
  return rows;
}
