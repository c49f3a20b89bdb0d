// sidecar: the daprkit-sidecar in its own process with its embedded defaults (in-memory `statestore` and `pubsub`).
// - HTTP state save (POST /v1.0/state/statestore, one item) and get (GET /v1.0/state/statestore/<key>), driven
//   by autocannon with 64 connections, one request in flight each, for BENCH_DURATION_MS after a warm-up;
// - publish→app delivery: a tiny node:http app (in this process) subscribes through GET /dapr/subscribe and
//   answers every delivery 200 {"status":"SUCCESS"}; 5,000 publishes via POST /v1.0/publish/pubsub/<topic>
//   with 64 in flight, timed from the first publish to the last delivery.
// Columns "metrics off" and "metrics on" (the same two in-memory components in --resources-path, with a
// Configuration `spec.metric.enabled: false` or `true`; on is the command line's default) give the cost of
// recording Prometheus metrics for every request and component call, as their ratio.
// Reference column "bare node:http": a trivial node:http server in its own process answering the same state
// routes (no work), driven by the same autocannon load; for delivery, the same 5,000 CloudEvents POSTed straight
// to the app. It is the ceiling this machine and load generator allow, so sidecar / bare = what the sidecar keeps.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { formatRate, freePort, fullGc, printTable, settings, waitFor } from './harness.mjs';

const MESSAGES = Number(process.env.BENCH_SIDECAR_MESSAGES ?? 5000);
const WARMUP_MESSAGES = 500;
const KEYS = 1000;
const TOPIC = 'bench';
const sidecarBin = new URL('../packages/sidecar/bin/daprkit-sidecar.js', import.meta.url).pathname;

const value = { v: 'x'.repeat(56) };
const saveBodies = Array.from({ length: KEYS }, (_, i) => JSON.stringify([{ key: `key-${i}`, value }]));
const getPaths = Array.from({ length: KEYS }, (_, i) => `/v1.0/state/statestore/key-${i}`);

// The reference server: same routes, no work (the body is read, as the sidecar must).
const BARE_SERVER = `
const http = require('node:http');
const body = Buffer.from(${JSON.stringify(JSON.stringify(value))});
http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    if (req.method === 'POST') { res.writeHead(204); res.end(); return; }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
}).listen(Number(process.argv[1]), '127.0.0.1', () => console.log('listening'));
`;

export function startProcess(args, label, env = process.env) {
  // BENCH_NODE_ARGS: extra node flags for the processes under test, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return {
    child,
    output: () => output,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    async stop() {
      if (this.exited()) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await new Promise((r) => (this.exited() ? r() : child.once('exit', r)));
      clearTimeout(killer);
    },
    label,
  };
}

export async function httpStatus(port, path) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** One autocannon run; returns { perSec, p50ms, p99ms, bad } (bad = non-2xx + errors + timeouts). */
export async function cannon(port, requestFor, durationMs) {
  let i = 0;
  fullGc();
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: settings.concurrency,
    pipelining: 1,
    duration: durationMs / 1000,
    requests: [{ setupRequest: (req) => requestFor(req, i++ % KEYS) }],
  });
  return {
    perSec: result.requests.total / result.duration,
    p50ms: result.latency.p50,
    p99ms: result.latency.p99,
    bad: result.non2xx + result.errors + result.timeouts,
  };
}

export const saveRequest = (req, i) => ({
  ...req,
  method: 'POST',
  path: '/v1.0/state/statestore',
  headers: { 'content-type': 'application/json' },
  body: saveBodies[i],
});
export const getRequest = (req, i) => ({ ...req, method: 'GET', path: getPaths[i] });

export async function stateRun(port) {
  const out = {};
  // The server process is fresh: one longer warm-up so the first measured cell does not pay for its JIT.
  for (const requestFor of [saveRequest, getRequest]) await cannon(port, requestFor, settings.processWarmupMs / 2);
  for (const [name, requestFor] of [
    ['save', saveRequest],
    ['get', getRequest],
  ]) {
    await cannon(port, requestFor, settings.warmupMs);
    out[name] = await cannon(port, requestFor, settings.durationMs);
  }
  return out;
}

/** The app: subscribes to TOPIC, counts unique deliveries by (tag, index) from the CloudEvent data. */
async function startApp() {
  const seen = { W: new Set(), M: new Set() };
  const state = { seen, lastDelivery: 0n, duplicates: 0, bad: 0 };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/dapr/subscribe') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify([{ pubsubname: 'pubsub', topic: TOPIC, route: '/deliver' }]));
        return;
      }
      if (req.method === 'POST' && req.url === '/deliver') {
        try {
          const event = JSON.parse(Buffer.concat(chunks).toString());
          const set = seen[event.data?.tag];
          if (set) {
            if (set.has(event.data.i)) state.duplicates++;
            else {
              set.add(event.data.i);
              if (event.data.tag === 'M') state.lastDelivery = process.hrtime.bigint();
            }
          }
        } catch {
          state.bad++;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"status":"SUCCESS"}');
        return;
      }
      res.writeHead(404);
      res.end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, state, close: () => new Promise((r) => server.close(r)) };
}

const pad = 'x'.repeat(160);
const messageBody = (tag, i) => JSON.stringify({ tag, i, pad });

/** POSTs `count` bodies with up to 64 in flight; rejects on the first non-2xx. */
async function postAll(agent, port, pathFor, bodyFor, count) {
  let next = 0;
  const post = (path, body) =>
    new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode >= 200 && res.statusCode < 300
              ? resolve()
              : reject(new Error(`POST ${path}: HTTP ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await post(pathFor(i), bodyFor(i));
    }
  };
  await Promise.all(Array.from({ length: Math.min(settings.concurrency, count) }, worker));
}

/** Warm-up batch then the measured batch; `send(tag, count)` publishes; returns { perSec, publishPerSec }. */
async function deliveryRun(app, send) {
  const { seen } = app.state;
  seen.W.clear();
  seen.M.clear();
  await send('W', WARMUP_MESSAGES);
  await waitFor(
    () => seen.W.size >= WARMUP_MESSAGES,
    60_000,
    () => `warm-up: ${seen.W.size}/${WARMUP_MESSAGES} delivered in 60 s`,
  );
  app.state.duplicates = 0;
  fullGc();
  const start = process.hrtime.bigint();
  await send('M', MESSAGES);
  const published = process.hrtime.bigint();
  await waitFor(
    () => seen.M.size >= MESSAGES,
    60_000,
    () => `only ${seen.M.size}/${MESSAGES} delivered within 60 s`,
  );
  return {
    perSec: MESSAGES / (Number(app.state.lastDelivery - start) / 1e9),
    publishPerSec: MESSAGES / (Number(published - start) / 1e9),
  };
}

export async function benchSidecar() {
  const notes = [];
  const rows = [
    { scenario: 'state save (HTTP POST)' },
    { scenario: 'state get (HTTP GET)' },
    { scenario: 'publish→app delivery' },
  ];
  const agent = new Agent({ keepAlive: true, maxSockets: settings.concurrency });
  const app = await startApp();
  const processes = [];
  try {
    // Bare node:http reference.
    const barePort = await freePort();
    const bare = startProcess(['-e', BARE_SERVER, String(barePort)], 'bare node:http');
    processes.push(bare);
    await waitFor(() => bare.output().includes('listening') || bare.exited(), 10_000, 'bare server did not start');
    const bareState = await stateRun(barePort);
    rows[0]['bare node:http'] = bareState.save.perSec;
    rows[1]['bare node:http'] = bareState.get.perSec;
    await bare.stop();
    const ceToApp = (tag, i) =>
      JSON.stringify({
        specversion: '1.0',
        id: randomUUID(),
        source: 'bench',
        type: 'com.dapr.event.sent',
        datacontenttype: 'application/json',
        topic: TOPIC,
        pubsubname: 'pubsub',
        data: { tag, i, pad },
      });
    const direct = await deliveryRun(app, (tag, count) =>
      postAll(
        agent,
        app.port,
        () => '/deliver',
        (i) => ceToApp(tag, i),
        count,
      ),
    );
    rows[2]['bare node:http'] = direct.perSec;

    // The sidecar, metrics off and on: the same two in-memory components, only `spec.metric.enabled` differs.
    const resourcesWith = (enabled) => {
      const dir = mkdtempSync(join(tmpdir(), 'bench-sidecar-'));
      writeFileSync(
        join(dir, 'resources.yaml'),
        [
          'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: statestore}\nspec: {type: state.in-memory, version: v1}',
          'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: pubsub}\nspec: {type: pubsub.in-memory, version: v1}',
          `apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata: {name: bench}\nspec: {metric: {enabled: ${enabled}}}`,
        ].join('\n---\n'),
      );
      return dir;
    };
    const results = {};
    // Interleaved A-B-B-A (BENCH_SIDECAR_ROUNDS pairs, default 1 = off,on,on,off): the mean of each column, so
    // drift in the machine's load hits both alike.
    const off = ['metrics off', ['--resources-path', resourcesWith(false)]];
    const on = ['metrics on', ['--resources-path', resourcesWith(true)]];
    const order = Array.from({ length: Number(process.env.BENCH_SIDECAR_ROUNDS ?? 1) }, () => [
      off,
      on,
      on,
      off,
    ]).flat();
    const sums = {};
    const add = (label, row, value) => {
      const key = `${label}\u0000${row}`;
      sums[key] ??= [];
      sums[key].push(value);
      rows[row][label] = sums[key].reduce((a, b) => a + b, 0) / sums[key].length;
    };
    for (const [label, extra] of order) {
      const [httpPort, grpcPort] = [await freePort(), await freePort()];
      const sidecar = startProcess(
        [
          sidecarBin,
          '--app-id',
          'bench',
          '--dapr-http-port',
          String(httpPort),
          '--dapr-grpc-port',
          String(grpcPort),
          '--app-port',
          String(app.port),
          '--log-level',
          'warn',
          ...extra,
        ],
        label,
      );
      processes.push(sidecar);
      await waitFor(
        async () => sidecar.exited() || (await httpStatus(httpPort, '/v1.0/healthz')) === 204,
        20_000,
        () => `sidecar not healthy within 20 s: ${sidecar.output()}`,
      );
      if (sidecar.exited()) throw new Error(`sidecar exited: ${sidecar.output()}`);
      const sidecarState = await stateRun(httpPort);
      results[label] = sidecarState;
      add(label, 0, sidecarState.save.perSec);
      add(label, 1, sidecarState.get.perSec);
      try {
        const published = await deliveryRun(app, (tag, count) =>
          postAll(
            agent,
            httpPort,
            () => `/v1.0/publish/pubsub/${TOPIC}`,
            (i) => messageBody(tag, i),
            count,
          ),
        );
        add(label, 2, published.perSec);
        notes.push(`delivery (${label}): sidecar publish calls alone ${formatRate(published.publishPerSec)}/s`);
      } catch (err) {
        notes.push(`sidecar (${label}) publish→delivery failed: ${err.message}`);
      }
      const late = sidecar.output().trim();
      if (late) notes.push(`sidecar (${label}) output: ${late.split('\n').slice(-3).join(' | ')}`);
      await sidecar.stop();
    }
    notes.push(`delivery: direct POSTs to the app alone ${formatRate(direct.publishPerSec)}/s`);
    for (const [label, r] of [['bare node:http', bareState], ...Object.entries(results)]) {
      notes.push(
        `${label} latency p50/p99 ms: save ${r.save.p50ms}/${r.save.p99ms}, get ${r.get.p50ms}/${r.get.p99ms}` +
          (r.save.bad + r.get.bad ? `; ${r.save.bad + r.get.bad} non-2xx/errors/timeouts` : ''),
      );
    }
    if (app.state.duplicates) notes.push(`${app.state.duplicates} duplicate deliveries`);
    if (app.state.bad) notes.push(`${app.state.bad} deliveries the app could not parse`);
  } finally {
    for (const p of processes) await p.stop();
    agent.destroy();
    await app.close();
  }
  printTable('sidecar (HTTP API, in-memory components)', ['bare node:http', 'metrics off', 'metrics on'], rows, {
    unit: 'req/s; delivery msgs/s',
    ratios: [
      ['metrics off', 'bare node:http'],
      ['metrics on', 'metrics off'],
    ],
    setup: `autocannon ${settings.concurrency} connections, ${settings.durationMs} ms per cell; delivery ${MESSAGES} msgs, ${settings.concurrency} publishes in flight`,
    notes,
  });
  return rows;
}
