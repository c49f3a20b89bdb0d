// Shared load generator for `pnpm bench`: a fixed number of calls in flight for a fixed time, reporting ops/s.
// Figures are for comparison side by side on the same machine, never asserted anywhere.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const settings = {
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 64),
  durationMs: Number(process.env.BENCH_DURATION_MS ?? 3000),
  warmupMs: Number(process.env.BENCH_WARMUP_MS ?? 500),
};

/** Runs `op(i)` with `concurrency` calls in flight for `durationMs` (after a warm-up); returns ops/s. */
export async function measure(op, { concurrency = settings.concurrency, durationMs = settings.durationMs, warmupMs = settings.warmupMs } = {}) {
  let counter = 0;
  const run = async (until, count) => {
    let n = 0;
    const worker = async () => {
      while (Date.now() < until) {
        await op(counter++);
        n++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return count ? n : 0;
  };
  await run(Date.now() + warmupMs, false);
  const start = process.hrtime.bigint();
  const n = await run(Date.now() + durationMs, true);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return n / seconds;
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
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`plugin ${binPath} did not start: ${stderr}`);
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

/** Prints rows of { scenario, [column]: ops/s } with ratios against the first column. */
export function printTable(title, columns, rows) {
  console.log(`\n${title}  (${settings.concurrency} in flight, ${settings.durationMs} ms per cell, ops/s)`);
  const head = ['scenario', ...columns, ...columns.slice(1).map((c) => `${c}/${columns[0]}`)];
  const lines = rows.map((r) => [
    r.scenario,
    ...columns.map((c) => (r[c] === undefined ? '-' : formatRate(r[c]))),
    ...columns.slice(1).map((c) => (r[c] === undefined ? '-' : `${((r[c] / r[columns[0]]) * 100).toFixed(1)}%`)),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(fmt(head));
  for (const l of lines) console.log(fmt(l));
}
