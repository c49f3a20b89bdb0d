// tracing: what W3C tracing costs the sidecar (spec §5.1; goal ≤ 10 % throughput at samplingRate 1).
// The same daprkit-sidecar process setup three times, with a Configuration in its resources path:
//   - "off":            samplingRate "0" — no tracing middleware at all (the baseline);
//   - "propagate":      no tracing section — daprd's default: spans started and propagated, rate 1e-4, nothing
//                       recorded (the OpenTelemetry SDK is not even loaded);
//   - "rate 1 + zipkin": samplingRate "1" with the Zipkin exporter — every call recorded and exported.
// The same two settings on a real daprd (scripts/daprd.sh, `--config` with the Configuration, state.in-memory) put
// the goal in context: "daprd off" (samplingRate "0") and "daprd rate 1 + zipkin", to the same span receiver.
// Load: autocannon state save/get (64 connections), as bench/sidecar.mjs, all columns interleaved (median of rounds).
// Besides req/s, CPU per request: of the whole sidecar process and of its main thread alone (the event loop; at
// samplingRate 1 spans are encoded and sent by a worker thread). On a 2-core machine the load generator, the span
// receiver and the export thread all share the cores with the event loop, so req/s counts their cost too. Spans go to the Zipkin server from
// scripts/services.sh (DAPRKIT_ZIPKIN_URL) when it answers, else to a sink in this process that accepts them
// (then the sink's work is on this machine's CPU too, as Zipkin's would be).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { daprdPath, startDaprd } from './daprd.mjs';
import { freePort, fullGc, printTable, settings, waitFor } from './harness.mjs';
import { zipkinExporterCpuPerSpan } from './otel-exporter-cost.mjs';
import { httpStatus, startProcess } from './sidecar.mjs';

const sidecarBin = new URL('../packages/sidecar/bin/daprkit-sidecar.js', import.meta.url).pathname;
const ZIPKIN_URL = process.env.DAPRKIT_ZIPKIN_URL ?? 'http://127.0.0.1:9411';

/** A resources folder with the in-memory store and, unless `tracing` is undefined, config.yaml with it. */
function resourcesWith(tracing) {
  const dir = mkdtempSync(join(tmpdir(), 'dk-bench-tracing-'));
  writeFileSync(
    join(dir, 'statestore.yaml'),
    'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: statestore\nspec:\n  type: state.in-memory\n  version: v1\n',
  );
  if (tracing !== undefined) {
    writeFileSync(
      join(dir, 'config.yaml'),
      `apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: tracing\nspec: ${JSON.stringify({ tracing })}\n`,
    );
  }
  return dir;
}

/** A span sink answering Zipkin's POST /api/v2/spans with 202; counts spans roughly by `"traceId"`. */
async function startSink() {
  const state = { spans: 0 };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      state.spans += Buffer.concat(chunks).toString().split('"traceId"').length - 1;
      res.writeHead(202);
      res.end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, state, close: () => new Promise((r) => server.close(r)) };
}

const ROUNDS = Number(process.env.BENCH_TRACING_ROUNDS ?? 3);
const KEYS = 1000;
const value = JSON.stringify({ v: 'x'.repeat(56) });
const saveBodies = Array.from({ length: KEYS }, (_, i) => `[{"key":"key-${i}","value":${value}}]`);
const CELLS = {
  'state save (HTTP POST)': (req, i) => ({
    ...req,
    method: 'POST',
    path: '/v1.0/state/statestore',
    headers: { 'content-type': 'application/json' },
    body: saveBodies[i],
  }),
  'state get (HTTP GET)': (req, i) => ({ ...req, method: 'GET', path: `/v1.0/state/statestore/key-${i}` }),
};

const TICK_MS = 10; // /proc/<pid>/stat counts CPU time in clock ticks (USER_HZ = 100 on Linux)

/**
 * CPU time (user + system, ms) used so far, from /proc; undefined off Linux. `/proc/<pid>/stat` is the whole
 * process (every thread: the span export thread, GC and libuv helpers); `/proc/<pid>/task/<pid>/stat` is the main
 * thread alone, the event loop that serves the API.
 */
function cpuMs(pid, mainThread = false) {
  try {
    const path = mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`;
    const fields = readFileSync(path, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

/**
 * One autocannon run against a sidecar; returns { perSec, cpuUsPerRequest, bad }. CPU µs per request is the
 * sidecar's own CPU time over the run divided by the requests served: much steadier than req/s on a loaded machine.
 */
async function cannon({ port, sidecar }, requestFor, durationMs) {
  let i = 0;
  fullGc();
  const cpuBefore = cpuMs(sidecar.child.pid);
  const loopBefore = cpuMs(sidecar.child.pid, true);
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: settings.concurrency,
    pipelining: 1,
    duration: durationMs / 1000,
    requests: [{ setupRequest: (req) => requestFor(req, i++ % KEYS) }],
  });
  const cpuAfter = cpuMs(sidecar.child.pid);
  const loopAfter = cpuMs(sidecar.child.pid, true);
  const perRequest = (before, after) =>
    before === undefined || after === undefined ? undefined : ((after - before) * 1000) / result.requests.total;
  return {
    perSec: result.requests.total / result.duration,
    cpuUsPerRequest: perRequest(cpuBefore, cpuAfter),
    loopUsPerRequest: perRequest(loopBefore, loopAfter),
    bad: result.non2xx + result.errors + result.timeouts,
  };
}

async function startSidecar(label, resources) {
  const httpPort = await freePort();
  const sidecar = startProcess(
    [
      sidecarBin,
      ...[
        '--app-id',
        'bench-tracing',
        '--dapr-http-port',
        String(httpPort),
        '--dapr-grpc-port',
        String(await freePort()),
        // Each its own: the defaults (9090, a fixed internal port) collide between the three sidecars.
        '--metrics-port',
        String(await freePort()),
        '--dapr-internal-grpc-port',
        String(await freePort()),
      ],
      ...['--resources-path', resources, '--log-level', 'warn'],
    ],
    label,
  );
  await waitFor(
    async () => sidecar.exited() || (await httpStatus(httpPort, '/v1.0/healthz')) === 204,
    20_000,
    () => `${label}: sidecar not healthy within 20 s: ${sidecar.output()}`,
  );
  if (sidecar.exited()) throw new Error(`${label}: sidecar exited: ${sidecar.output()}`);
  return { sidecar, port: httpPort };
}

/** daprd with the same resources; the Configuration goes to `--config` (self-hosted daprd reads it from there). */
async function startTracedDaprd(daprd, resources) {
  const sockets = mkdtempSync(join(tmpdir(), 'dk-bench-tracing-sockets-'));
  const { port, proc } = await startDaprd(daprd, resources, sockets, {
    args: ['--config', join(resources, 'config.yaml')],
  })();
  // The shape `cannon` and the report read: the process id, its output, stop.
  return { sidecar: { child: { pid: proc.pid }, output: proc.output, stop: proc.stop }, port, daprd: true };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchTracing() {
  // BENCH_TRACING_SINK=1: the in-process sink even when Zipkin is up (Zipkin's JVM ingesting every span competes
  // for this machine's cores, which the sidecar's own cost does not include).
  const zipkinUp =
    process.env.BENCH_TRACING_SINK !== '1' &&
    (await fetch(`${ZIPKIN_URL}/health`).then(
      (r) => r.ok,
      () => false,
    ));
  const sink = zipkinUp ? undefined : await startSink();
  const endpoint = `${zipkinUp ? ZIPKIN_URL : sink.url}/api/v2/spans`;
  const daprd = daprdPath();
  const columns = ['off', 'propagate', 'rate 1 + zipkin', ...(daprd ? ['daprd off', 'daprd rate 1 + zipkin'] : [])];
  const off = { samplingRate: '0' };
  const rate1 = { samplingRate: '1', zipkin: { endpointAddress: endpoint } };
  const configs = {
    off,
    propagate: undefined,
    'rate 1 + zipkin': rate1,
    'daprd off': off,
    'daprd rate 1 + zipkin': rate1,
  };
  const rows = [{ scenario: 'state save (HTTP POST)' }, { scenario: 'state get (HTTP GET)' }];
  const notes = [`exporter target: ${zipkinUp ? `Zipkin server ${ZIPKIN_URL}` : 'in-process sink'}`];
  notes.push(daprd ? `daprd: ${daprd}` : 'daprd columns skipped: no daprd binary (bash scripts/daprd.sh)');
  // All three run side by side; cells are interleaved round by round and each column keeps its median, so a load
  // swing on this shared machine hits every column alike instead of one.
  const running = {};
  const rates = Object.fromEntries(
    Object.keys(CELLS).map((cell) => [cell, Object.fromEntries(columns.map((c) => [c, []]))]),
  );
  const cpu = structuredClone(rates);
  const loop = structuredClone(rates);
  let bad = 0;
  try {
    for (const column of columns) {
      const resources = resourcesWith(configs[column]);
      running[column] = column.startsWith('daprd')
        ? await startTracedDaprd(daprd, resources)
        : await startSidecar(column, resources);
    }
    for (const column of columns)
      for (const requestFor of Object.values(CELLS))
        await cannon(running[column], requestFor, settings.processWarmupMs / 2);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [cell, requestFor] of Object.entries(CELLS)) {
        for (const column of round % 2 === 0 ? columns : [...columns].reverse()) {
          await cannon(running[column], requestFor, settings.warmupMs);
          const result = await cannon(running[column], requestFor, settings.durationMs);
          bad += result.bad;
          rates[cell][column].push(result.perSec);
          if (result.cpuUsPerRequest !== undefined) cpu[cell][column].push(result.cpuUsPerRequest);
          if (result.loopUsPerRequest !== undefined && !running[column].daprd)
            loop[cell][column].push(result.loopUsPerRequest);
        }
      }
    }
    for (const row of rows) for (const column of columns) row[column] = median(rates[row.scenario][column]);
    /** Each column's µs per request, and the throughput that leaves against its own baseline (daprd's: daprd off). */
    const cpuNote = (row, samples, what, bound, shown) => {
      const us = Object.fromEntries(shown.map((c) => [c, median(samples[row.scenario][c])]));
      const baseline = (c) => (c.startsWith('daprd') ? 'daprd off' : 'off');
      return (
        `${row.scenario}: ${what} per request ${shown.map((c) => `${c} ${us[c].toFixed(1)} µs`).join(', ')}` +
        ` → throughput kept when ${bound}: ${shown
          .filter((c) => baseline(c) !== c)
          .map((c) => `${c} ${((us[baseline(c)] / us[c]) * 100).toFixed(1)}%`)
          .join(', ')}`
      );
    };
    const sidecarColumns = columns.filter((c) => !c.startsWith('daprd'));
    for (const row of rows) {
      if (cpu[row.scenario].off.length === 0) continue;
      notes.push(cpuNote(row, cpu, 'process CPU (all threads)', 'CPU-bound on every core', columns));
      // A Go process has no event loop: its main thread says nothing, so daprd shows in the line above only.
      notes.push(
        cpuNote(row, loop, 'event-loop CPU', 'the event loop is the bottleneck (a core to spare)', sidecarColumns),
      );
    }
    // The floor under the goal: at samplingRate 1 each request's span is exported, so 10 % of a request's CPU must
    // pay for the exporter too. Measured after the load, when nothing else runs in this process.
    const exporterUs = await zipkinExporterCpuPerSpan();
    for (const row of rows) {
      if (cpu[row.scenario].off.length === 0) continue;
      const budget = median(cpu[row.scenario].off) / 10;
      notes.push(
        `${row.scenario}: the 10 % budget is ${budget.toFixed(1)} µs of CPU per request for propagating, recording, ` +
          `handing over and exporting its span; OpenTelemetry's Zipkin exporter alone takes ${exporterUs.toFixed(1)} µs per span`,
      );
    }
    notes.push(
      `median of ${ROUNDS} interleaved rounds; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    if (bad) notes.push(`${bad} non-2xx/errors/timeouts`);
    for (const column of columns) {
      // daprd always warns about the missing app channel and metrics defaults: only its errors are worth a note.
      const lines = running[column].sidecar.output().trim().split('\n');
      const output = (running[column].daprd ? lines.filter((l) => /level=(error|fatal)/.test(l)) : lines).join('\n');
      if (output) notes.push(`${column} output: ${output.split('\n').slice(-2).join(' | ')}`);
    }
    if (sink) notes.push(`sink received ~${sink.state.spans} spans`);
  } finally {
    for (const { sidecar } of Object.values(running)) await sidecar.stop();
    await sink?.close();
  }
  printTable('tracing overhead (daprkit-sidecar and daprd, HTTP API, in-memory state)', columns, rows, {
    unit: 'req/s',
    ratios: [
      ['propagate', 'off'],
      ['rate 1 + zipkin', 'off'],
      ...(daprd ? [['daprd rate 1 + zipkin', 'daprd off']] : []),
    ],
    notes,
  });
  return rows;
}
