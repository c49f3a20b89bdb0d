// snssqs: publish→app delivery through a sidecar on the same moto server (SNS topic → SQS queue):
// - "daprd + contrib": daprd 1.16 (scripts/daprd.sh) with its built-in pubsub.aws.snssqs (Go, aws-sdk-go-v2);
// - "daprkit": the daprkit sidecar with @daprkit/pubsub-aws-snssqs in process.
// Same component YAML for both (endpoint, region, keys; every other flag at contrib's default), each with its own
// app ID (so its own consumerID queue) and topic, and a node:http app answering 200 SUCCESS. One run = 2,000
// publishes (BENCH_SNSSQS_MESSAGES) through the sidecar's HTTP API, timed from the first publish to the last unique
// delivery at the app. Rounds alternate the two (BENCH_SNSSQS_ROUNDS, default 3); the median counts. moto (one
// Python process) bounds both columns: read the ratio, not the rates.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatRate, freePort, fullGc, printTable, settings, waitFor } from './harness.mjs';
import { httpStatus, startProcess } from './sidecar.mjs';

const root = new URL('..', import.meta.url).pathname;
const MESSAGES = Number(process.env.BENCH_SNSSQS_MESSAGES ?? 2000);
const ROUNDS = Number(process.env.BENCH_SNSSQS_ROUNDS ?? 3);
const WARMUP_MESSAGES = 200;
const URL_ = process.env.DAPRKIT_AWS_ENDPOINT ?? 'http://127.0.0.1:4566';
const sidecarBin = join(root, 'packages/sidecar/bin/daprkit-sidecar.js');
const daprdBin = process.env.DAPRKIT_DAPRD ?? join(process.env.HOME ?? '/root', '.cache/daprkit/bin/daprd-1.16.0');
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function reachable(url) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname, port: Number(u.port || 80) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const yaml = (consumerID) => `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pubsub
spec:
  type: pubsub.aws.snssqs
  version: v1
  metadata:
    - { name: endpoint, value: "${URL_}" }
    - { name: region, value: us-east-1 }
    - { name: accessKey, value: daprkit-access }
    - { name: secretKey, value: daprkit-secret }
    - { name: consumerID, value: "${consumerID}" }
`;

/** An app subscribed to `topic`, counting unique deliveries per (tag, index). */
async function startApp(topic) {
  const seen = { W: new Set(), M: new Set() };
  const state = { seen, lastDelivery: 0n, duplicates: 0 };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/dapr/subscribe') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify([{ pubsubname: 'pubsub', topic, route: '/deliver' }]));
        return;
      }
      if (req.method === 'POST' && req.url === '/deliver') {
        try {
          const { data } = JSON.parse(Buffer.concat(chunks).toString());
          const set = seen[data?.tag];
          if (set) {
            if (set.has(data.i)) state.duplicates++;
            else {
              set.add(data.i);
              if (data.tag === 'M') state.lastDelivery = process.hrtime.bigint();
            }
          }
        } catch {}
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"status":"SUCCESS"}');
        return;
      }
      res.writeHead(200);
      res.end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, state, close: () => new Promise((r) => server.close(r)) };
}

function startDaprd(appId, appPort, resources, sockets) {
  return async () => {
    const [http, grpc, internal, metrics] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const child = spawn(
      daprdBin,
      [
        ...['--app-id', appId, '--app-port', String(appPort), '--app-protocol', 'http'],
        ...['--dapr-http-port', String(http), '--dapr-grpc-port', String(grpc)],
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
    return { port: http, proc };
  };
}

function startSidecar(appId, appPort, resources, sockets) {
  return async () => {
    const [http, grpc] = [await freePort(), await freePort()];
    const proc = startProcess(
      [
        sidecarBin,
        ...['--app-id', appId, '--app-port', String(appPort), '--dapr-http-port', String(http)],
        ...['--dapr-grpc-port', String(grpc), '--resources-path', resources, '--sockets-folder', sockets],
        ...['--log-level', 'warn'],
      ],
      'daprkit-sidecar',
    );
    return { port: http, proc };
  };
}

async function healthy(server, what) {
  await waitFor(
    async () => server.proc.exited() || (await httpStatus(server.port, '/v1.0/healthz')) === 204,
    60_000,
    () => `${what} not healthy within 60 s: ${server.proc.output().slice(-2000)}`,
  );
  if (server.proc.exited()) throw new Error(`${what} exited: ${server.proc.output().slice(-2000)}`);
}

/** POSTs `count` publishes with up to 64 in flight. */
async function publishAll(agent, port, topic, tag, count) {
  let next = 0;
  const pad = 'x'.repeat(160);
  const post = (i) =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: `/v1.0/publish/pubsub/${topic}`,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode < 300 ? resolve() : reject(new Error(`publish: HTTP ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ tag, i, pad }));
    });
  await Promise.all(
    Array.from({ length: Math.min(settings.concurrency, count) }, async () => {
      while (next < count) await post(next++);
    }),
  );
}

async function deliveryRun(agent, target) {
  const { seen } = target.app.state;
  seen.M.clear();
  target.app.state.duplicates = 0;
  fullGc();
  const start = process.hrtime.bigint();
  await publishAll(agent, target.server.port, target.topic, 'M', MESSAGES);
  const published = process.hrtime.bigint();
  await waitFor(
    () => seen.M.size >= MESSAGES,
    240_000,
    () => `${target.name}: only ${seen.M.size}/${MESSAGES} delivered within 240 s`,
  );
  return {
    perSec: MESSAGES / (Number(target.app.state.lastDelivery - start) / 1e9),
    publishPerSec: MESSAGES / (Number(published - start) / 1e9),
    duplicates: target.app.state.duplicates,
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function benchSnsSqs() {
  const columns = ['daprd + contrib', 'daprkit'];
  const rows = [{ scenario: 'publish→app delivery' }, { scenario: 'publish calls alone' }];
  const notes = [`load average at the start: ${load()}`];
  if (!existsSync(daprdBin)) {
    console.log(`\nsnssqs: skipped — no daprd at ${daprdBin} (bash scripts/daprd.sh builds one)`);
    return rows;
  }
  if (!(await reachable(URL_))) {
    console.log(`\nsnssqs: skipped — moto unreachable at ${URL_} (bash scripts/services.sh up moto)`);
    return rows;
  }
  if (!existsSync(join(root, 'packages/pubsub-aws-snssqs/dist/index.js'))) {
    console.log('\nsnssqs: skipped — packages/pubsub-aws-snssqs is not built (npx tsc -b packages/pubsub-aws-snssqs)');
    return rows;
  }
  const run = randomUUID().slice(0, 8);
  const scratch = mkdtempSync(join(tmpdir(), 'dkb-snssqs-'));
  const sockets = join(scratch, 'sockets');
  const agent = new Agent({ keepAlive: true, maxSockets: settings.concurrency });
  const targets = [];
  try {
    for (const [name, starter] of [
      ['daprd + contrib', startDaprd],
      ['daprkit', startSidecar],
    ]) {
      const appId = `bench-sqs-${name === 'daprkit' ? 'k' : 'd'}-${run}`;
      const topic = `bench-${appId}`;
      const resources = join(scratch, appId);
      mkdirSync(resources, { recursive: true });
      mkdirSync(sockets, { recursive: true });
      writeFileSync(join(resources, 'pubsub.yaml'), yaml(appId));
      const app = await startApp(topic);
      const server = await starter(appId, app.port, resources, sockets)();
      targets.push({ name, app, server, topic, rates: [], publishRates: [], duplicates: 0 });
      await healthy(server, name);
    }
    // Warm-up: the subscriptions attach (probe until one message arrives), then 500 messages each.
    for (const t of targets) {
      const deadline = Date.now() + 30_000;
      while (t.app.state.seen.W.size === 0) {
        if (Date.now() > deadline) throw new Error(`${t.name}: no delivery within 30 s of start`);
        await publishAll(agent, t.server.port, t.topic, 'W', 1);
        await new Promise((r) => setTimeout(r, 200));
      }
      t.app.state.seen.W.clear();
      await publishAll(agent, t.server.port, t.topic, 'W', WARMUP_MESSAGES);
      await waitFor(() => t.app.state.seen.W.size >= WARMUP_MESSAGES, 60_000, `${t.name}: warm-up not delivered`);
    }
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const t of order) {
        try {
          const r = await deliveryRun(agent, t);
          t.rates.push(r.perSec);
          t.publishRates.push(r.publishPerSec);
          t.duplicates += r.duplicates;
        } catch (err) {
          notes.push(`${t.name} round ${round + 1} failed: ${err.message}`);
        }
      }
    }
    for (const t of targets) {
      if (t.rates.length > 0) {
        rows[0][t.name] = median(t.rates);
        rows[1][t.name] = median(t.publishRates);
      }
      notes.push(
        `${t.name} delivery msgs/s per round: ${t.rates.map(formatRate).join(', ')}` +
          (t.duplicates ? `; ${t.duplicates} duplicate deliveries` : ''),
      );
      const errors = t.server.proc
        .output()
        .split('\n')
        .filter((line) => /level=error|\bERROR\b/.test(line));
      if (errors.length > 0)
        notes.push(`${t.name} logged ${errors.length} error(s), last: ${errors.at(-1).slice(0, 300)}`);
    }
  } finally {
    for (const t of targets) {
      await t.server.proc.stop();
      await t.app.close();
    }
    agent.destroy();
    rmSync(scratch, { recursive: true, force: true });
  }
  notes.push(`load average at the end: ${load()}`);
  printTable(
    'snssqs: daprd + contrib pubsub.aws.snssqs vs daprkit sidecar + @daprkit/pubsub-aws-snssqs',
    columns,
    rows,
    {
      unit: 'msgs/s',
      setup: `${MESSAGES} publishes over HTTP, ${settings.concurrency} in flight, first publish → last app delivery, median of ${ROUNDS} interleaved rounds, same moto server`,
      ratios: [['daprkit', 'daprd + contrib']],
      notes,
    },
  );
  return rows;
}
