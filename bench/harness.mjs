// Shared load generator for `pnpm bench`: a fixed number of calls in flight for a fixed time, reporting ops/s.
// Figures are for comparison side by side on the same machine, never asserted anywhere.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export const settings = {
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 64),
  durationMs: Number(process.env.BENCH_DURATION_MS ?? 3000),
  warmupMs: Number(process.env.BENCH_WARMUP_MS ?? 500),
  /** One-time warm-up of a freshly started process (plugin, sidecar) before its first measured cell: JIT. */
  processWarmupMs: Number(process.env.BENCH_PROCESS_WARMUP_MS ?? 2000),
};

// A full GC before each cell, so one cell's garbage (an in-process cell makes millions of objects) is not
// collected on the next cell's time. Best effort: exposes `gc` at run time without a node flag.
setFlagsFromString('--expose-gc');
const collect = (() => {
  try {
    return runInNewContext('gc');
  } catch {
    return () => {};
  }
})();

/** Collects garbage now (a no-op if gc cannot be exposed). */
export function fullGc() {
  collect();
}

/**
 * Runs `op(i)` with `concurrency` calls in flight for `durationMs` (after a warm-up); returns
 * `{ opsPerSec, p50us, p99us }` (latency of each call as seen by the caller, queueing included).
 */
export async function measureDetailed(
  op,
  { concurrency = settings.concurrency, durationMs = settings.durationMs, warmupMs = settings.warmupMs } = {},
) {
  let counter = 0;
  const run = async (until, latencies) => {
    const worker = async () => {
      while (Date.now() < until) {
        const start = latencies ? process.hrtime.bigint() : 0n;
        await op(counter++);
        if (latencies) latencies.push(Number(process.hrtime.bigint() - start) / 1e3);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  };
  collect();
  await run(Date.now() + warmupMs, null);
  const latencies = [];
  const start = process.hrtime.bigint();
  await run(Date.now() + durationMs, latencies);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  latencies.sort((a, b) => a - b);
  const pct = (p) => (latencies.length ? latencies[Math.floor(p * (latencies.length - 1))] : 0);
  return { opsPerSec: latencies.length / seconds, p50us: pct(0.5), p99us: pct(0.99) };
}

/** Like `measureDetailed`, returning ops/s only. */
export async function measure(op, options) {
  return (await measureDetailed(op, options)).opsPerSec;
}

/** Starts a package's plugin bin as its own process on a fresh socket; resolves once the socket exists. */
export async function startPlugin(binPath, extraArgs = []) {
  const folder = mkdtempSync(join(tmpdir(), 'dkb-'));
  const child = spawn(process.execPath, [binPath, '--socket-folder', folder, ...extraArgs], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, DAPRKIT_LOG_LEVEL: 'warn' },
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const deadline = Date.now() + 10_000;
  const socketPath = (name) => join(folder, `${name}.sock`);
  return {
    folder,
    socketPath,
    async ready(name) {
      while (!existsSync(socketPath(name))) {
        if (child.exitCode !== null || Date.now() > deadline)
          throw new Error(`plugin ${binPath} did not start: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return socketPath(name);
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

export function formatRate(n) {
  return n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0);
}

/**
 * Prints rows of { scenario, [column]: rate } side by side, then ratio columns: by default every column
 * against the first, or the `ratios` pairs [numerator, denominator] given. `unit` and `setup` go in the
 * title line; `notes` are printed under the table (skips, latencies, errors).
 */
export function printTable(title, columns, rows, { unit = 'ops/s', setup, ratios, notes = [] } = {}) {
  const pairs = ratios ?? columns.slice(1).map((c) => [c, columns[0]]);
  setup ??= `${settings.concurrency} in flight, ${settings.durationMs} ms per cell`;
  console.log(`\n${title}  (${setup}, ${unit})`);
  const head = ['scenario', ...columns, ...pairs.map(([a, b]) => `${a} / ${b}`)];
  const ratio = (a, b) => (a === undefined || b === undefined || b === 0 ? '-' : `${((a / b) * 100).toFixed(1)}%`);
  const lines = rows.map((r) => [
    r.scenario,
    ...columns.map((c) => (r[c] === undefined ? '-' : formatRate(r[c]))),
    ...pairs.map(([a, b]) => ratio(r[a], r[b])),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  console.log(fmt(head));
  for (const l of lines) console.log(fmt(l));
  for (const n of notes) console.log(`  ${n}`);
}

/** A TCP port free right now on 127.0.0.1 (bound then released). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** `p50/p99 µs` of a detailed measurement, for notes. */
export function formatLatency(m) {
  return m ? `${m.p50us.toFixed(0)}/${m.p99us.toFixed(0)}` : '-';
}

/** Waits for `predicate()` to be true, polling every `pollMs`; throws `message` after `timeoutMs`. */
export async function waitFor(predicate, timeoutMs, message, pollMs = 20) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(typeof message === 'function' ? message() : message);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
