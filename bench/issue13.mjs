// issue13: every ratio of issue 13's goals in one run, each suite's own table first, then one summary with the
// load average. The figures come from the suites that measure them:
// - transport (bench/transport.mjs): the Go daprd-like client on the plugin socket, daprkit vs the Go plugin
//   (ops/s and the server's CPU µs per call), and a real daprd in front of each plugin;
// - sidecar gRPC SaveState/GetState vs daprd: bench/sidecar-grpc.mjs's `benchSidecarGrpc()` (rows
//   `{ scenario, daprd, 'daprkit engine', 'daprkit grpc-js' }`; the summary takes the default engine's column);
// - daprd (bench/daprd.mjs): daprkit-sidecar + the state-redis plugin vs daprd + the same plugin;
// - startup (bench/startup.mjs): spawn → healthz 204 and RSS, daprd vs daprkit-sidecar.
import { loadavg } from 'node:os';

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const pct = (a, b) => (a === undefined || b === undefined || b === 0 ? '-' : `${((a / b) * 100).toFixed(1)}%`);
const num = (v, digits = 0) => (v === undefined ? '-' : v.toFixed(digits));

export async function benchIssue13() {
  const loadStart = load();
  const lines = []; // [goal, figure, ratio, target]
  const add = (goal, figure, ratio, target) => lines.push([goal, figure, ratio, target]);

  const { benchTransport } = await import('./transport.mjs');
  const transport = await benchTransport();
  if (transport?.direct) {
    for (const row of transport.direct.rows) {
      add(
        `plugin ← Go client, ${row.scenario}`,
        `${num(row.daprkit)} vs ${num(row['Go plugin'])} ops/s`,
        pct(row.daprkit, row['Go plugin']),
        '≥ 100%',
      );
    }
    for (const [op, cpu] of Object.entries(transport.direct.cpuPerCall)) {
      add(
        `plugin CPU per call, ${op}`,
        `${num(cpu.daprkit, 1)} vs ${num(cpu['Go plugin'], 1)} µs (Go plugin)`,
        pct(cpu.daprkit, cpu['Go plugin']),
        '≤ 15 µs',
      );
    }
  } else add('plugin ← Go client', 'skipped (see the transport line above)', '-', '≥ 100%');
  if (transport?.behind) {
    for (const row of transport.behind.rows)
      add(
        `daprd → plugin, ${row.scenario}`,
        `${num(row.daprkit)} vs ${num(row['Go plugin'])} req/s`,
        pct(row.daprkit, row['Go plugin']),
        '≥ 100%',
      );
  } else add('daprd → plugin', 'skipped', '-', '≥ 100%');

  const { benchSidecarGrpc } = await import('./sidecar-grpc.mjs');
  for (const row of (await benchSidecarGrpc()) ?? [])
    add(
      `sidecar gRPC API, ${row.scenario}`,
      `${num(row['daprkit engine'])} vs ${num(row.daprd)} ops/s`,
      pct(row['daprkit engine'], row.daprd),
      '≥ 100%',
    );

  const { benchDaprd } = await import('./daprd.mjs');
  const daprd = await benchDaprd();
  for (const row of daprd ?? []) {
    if (row['daprkit + plugin'] === undefined && row['daprd + plugin'] === undefined) continue;
    add(
      `sidecar + plugin, ${row.scenario}`,
      `${num(row['daprkit + plugin'])} vs ${num(row['daprd + plugin'])} req/s`,
      pct(row['daprkit + plugin'], row['daprd + plugin']),
      '≥ 100%',
    );
  }

  const { benchStartup } = await import('./startup.mjs');
  for (const row of (await benchStartup()) ?? [])
    add(`startup, ${row.scenario}`, `${num(row.daprkit)} vs ${num(row.daprd)}`, pct(row.daprkit, row.daprd), '≤ 100%');

  console.log(
    `\nissue 13 summary  (daprkit vs the reference, ratio = daprkit / reference; load average ${loadStart} → ${load()})`,
  );
  const head = ['goal', 'daprkit vs reference', 'ratio', 'target'];
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  console.log(fmt(head));
  for (const l of lines) console.log(fmt(l));
}
