// state-sqlite: HTTP state save/get through daprd v1.16 with its built-in state.sqlite (modernc driver) and through
// the daprkit sidecar with @daprkit/state-sqlite in process, each on its own database file of the same kind
// (a fresh file on the same disk, WAL journal, contrib's default busyTimeout/synchronous). Both servers stay up;
// the cells run in interleaved rounds (A B, B A, …) and each figure is the median over the rounds, so a load spike
// on this shared machine hits both columns alike. Load: autocannon as in `sidecar`/`daprd`.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { daprdPath, resourcesFolder, startDaprd, startSidecar } from './daprd.mjs';
import { printTable, settings } from './harness.mjs';
import { stateRun } from './sidecar.mjs';

const ROUNDS = Number(process.env.BENCH_SQLITE_ROUNDS ?? 3);

const component = (type, file) => `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
spec:
  type: ${type}
  version: v1
  metadata:
    - name: connectionString
      value: "${file}"
`;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

export async function benchStateSqlite() {
  const rows = [{ scenario: 'state save (HTTP POST)' }, { scenario: 'state get (HTTP GET)' }];
  const columns = ['daprd + Go', 'daprkit'];
  const daprd = daprdPath();
  if (daprd === undefined) {
    console.log('\nstate-sqlite: skipped — no daprd binary (bash scripts/daprd.sh builds one)');
    return rows;
  }
  const scratch = mkdtempSync(join(tmpdir(), 'dkb-sqlite-'));
  const empty = join(scratch, 'no-sockets');
  const servers = {};
  const samples = Object.fromEntries(columns.map((c) => [c, { save: [], get: [], p: [] }]));
  const notes = [];
  try {
    servers['daprd + Go'] = await startDaprd(
      daprd,
      resourcesFolder(scratch, 'go', component('state.sqlite', join(scratch, 'daprd.db')), [empty]),
      empty,
    )();
    servers.daprkit = await startSidecar(
      resourcesFolder(scratch, 'dk', component('state.sqlite', join(scratch, 'daprkit.db'))),
      empty,
    )();
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? columns : [...columns].reverse();
      for (const column of order) {
        const r = await stateRun(servers[column].port);
        samples[column].save.push(r.save.perSec);
        samples[column].get.push(r.get.perSec);
        samples[column].p.push(`save ${r.save.p50ms}/${r.save.p99ms}, get ${r.get.p50ms}/${r.get.p99ms}`);
        if (r.save.bad + r.get.bad)
          notes.push(`${column} round ${round + 1}: ${r.save.bad + r.get.bad} non-2xx/errors`);
      }
      notes.push(
        `after round ${round + 1}: load average ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
      );
    }
    for (const column of columns) {
      rows[0][column] = median(samples[column].save);
      rows[1][column] = median(samples[column].get);
      notes.push(`${column} p50/p99 ms per round: ${samples[column].p.join(' | ')}`);
    }
  } finally {
    for (const server of Object.values(servers)) await server.proc.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
  printTable('state-sqlite: daprd state.sqlite vs daprkit-sidecar + @daprkit/state-sqlite (HTTP)', columns, rows, {
    unit: 'req/s',
    setup: `autocannon ${settings.concurrency} connections, ${settings.durationMs} ms per cell, median of ${ROUNDS} interleaved rounds`,
    ratios: [['daprkit', 'daprd + Go']],
    notes,
  });
  return rows;
}
