// bindings-input: Kafka → app input-binding delivery through a sidecar, daprkit versus daprd on the same broker:
// - "daprkit": the daprkit-sidecar process with @daprkit/bindings-kafka in process (resolved by its registry);
// - "daprd + Go": daprd v1.16 (scripts/daprd.sh) with contrib's built-in bindings.kafka.
// One run = a fresh topic (8 partitions) pre-filled with BENCH_BINDINGS_MESSAGES records (default 5,000, 200 bytes),
// then the sidecar starts with a fresh consumer group (initialOffset oldest) and delivers every record to the app
// (`POST /kafka-in`, answered 200 at once). Before those, BENCH_BINDINGS_WARMUP records (default 2000, as the brokers
// bench: a fresh node process spends ~0.5 s of CPU in V8's optimising compiler over its first ~2000 messages) are
// delivered untimed. Rate = records / (last delivery − first timed delivery), so start-up, the group join and the
// warm-up are not counted. BENCH_ROUNDS rounds (default 3) alternate the two; the median of each is printed.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, printTable, waitFor } from './harness.mjs';
import { httpStatus, startProcess } from './sidecar.mjs';

const root = new URL('..', import.meta.url).pathname;
const BROKERS = process.env.DAPRKIT_KAFKA_BROKERS ?? '127.0.0.1:9092';
const MESSAGES = Number(process.env.BENCH_BINDINGS_MESSAGES ?? 5000);
const WARMUP = Number(process.env.BENCH_BINDINGS_WARMUP ?? 2000);
const TOTAL = WARMUP + MESSAGES;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PARTITIONS = 8;
const MESSAGE_BYTES = 200;
const DELIVERY_TIMEOUT_MS = 120_000;
const sidecarBin = join(root, 'packages/sidecar/bin/daprkit-sidecar.js');
// kafkajs is bindings-kafka's dependency: resolve it from that package.
const { Kafka, logLevel } = createRequire(join(root, 'packages/bindings-kafka/package.json'))('kafkajs');

function daprdPath() {
  const path = process.env.DAPRKIT_DAPRD ?? join(process.env.HOME ?? '/root', '.cache/daprkit/bin/daprd-1.16.0');
  return existsSync(path) ? path : undefined;
}

function reachable(hostPort) {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The app: counts unique deliveries, remembers the first timed (after the warm-up) and the last delivery time. */
async function startApp() {
  const state = { seen: new Set(), first: 0n, last: 0n, duplicates: 0 };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/kafka-in') {
        const id = /m:(\d+):/.exec(Buffer.concat(chunks).subarray(0, 24).toString())?.[1];
        const now = process.hrtime.bigint();
        if (state.seen.has(id)) state.duplicates++;
        else {
          if (state.seen.size === WARMUP) state.first = now;
          state.seen.add(id);
          state.last = now;
        }
      }
      res.writeHead(200).end();
    });
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return {
    port,
    state,
    reset() {
      state.seen.clear();
      state.duplicates = 0;
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

async function fillTopic(kafka, topic) {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const body = Buffer.alloc(MESSAGE_BYTES - 40, 'x').toString();
  for (let start = 0; start < TOTAL; start += 500) {
    const messages = [];
    for (let i = start; i < Math.min(start + 500, TOTAL); i++)
      messages.push({ key: `k${i}`, value: `{"id":"m:${i}:","pad":"${body}"}` });
    // A brand-new topic's leaders may still be settling: retry the batch a few times.
    for (let attempt = 1; ; attempt++) {
      try {
        await producer.send({ topic, messages });
        break;
      } catch (err) {
        if (attempt >= 10) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
  await producer.disconnect();
}

function componentYaml(topic, group) {
  const items = {
    brokers: BROKERS,
    authType: 'none',
    topics: topic,
    consumerGroup: group,
    initialOffset: 'oldest',
    direction: 'input',
  };
  return `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: kafka-in\nspec:\n  type: bindings.kafka\n  version: v1\n  metadata:\n${Object.entries(
    items,
  )
    .map(([k, v]) => `    - name: ${k}\n      value: "${v}"`)
    .join('\n')}\n`;
}

async function startSidecarProcess(kind, resources, appPort) {
  const [http, grpc, internal, metrics] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const common = ['--app-id', 'bench-bindings', '--app-port', String(appPort), '--dapr-http-port', String(http)];
  let proc;
  if (kind === 'daprkit') {
    proc = startProcess(
      [sidecarBin, ...common, '--dapr-grpc-port', String(grpc), '--resources-path', resources, '--log-level', 'warn'],
      'daprkit-sidecar',
    );
  } else {
    const child = spawn(
      daprdPath(),
      [
        ...common,
        ...['--dapr-grpc-port', String(grpc), '--dapr-internal-grpc-port', String(internal)],
        ...['--metrics-port', String(metrics), '--dapr-listen-addresses', '127.0.0.1', '--app-protocol', 'http'],
        ...['--resources-path', resources, '--log-level', 'warn'],
      ],
      {
        env: { ...process.env, DAPR_COMPONENTS_SOCKETS_FOLDER: join(resources, 'no-sockets') },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    proc = {
      output: () => output,
      exited: () => child.exitCode !== null || child.signalCode !== null,
      async stop() {
        if (this.exited()) return;
        child.kill('SIGTERM');
        await new Promise((r) => (this.exited() ? r() : child.once('exit', r)));
      },
    };
  }
  await waitFor(
    async () => proc.exited() || (await httpStatus(http, '/v1.0/healthz')) === 204,
    60_000,
    () => `${kind} not healthy: ${proc.output().slice(-2000)}`,
  );
  if (proc.exited()) throw new Error(`${kind} exited: ${proc.output().slice(-2000)}`);
  return proc;
}

async function oneRun(kind, kafka, app, scratch, round) {
  const tag = `${kind === 'daprkit' ? 'dk' : 'go'}-${round}-${Date.now()}`;
  const topic = `bench-bindings-${tag}`;
  await fillTopic(kafka, topic);
  const resources = join(scratch, tag);
  mkdirSync(join(resources, 'no-sockets'), { recursive: true });
  writeFileSync(join(resources, 'kafka.yaml'), componentYaml(topic, `bench-${tag}`));
  app.reset();
  const proc = await startSidecarProcess(kind, resources, app.port);
  try {
    await waitFor(
      () => app.state.seen.size >= TOTAL || proc.exited(),
      DELIVERY_TIMEOUT_MS,
      () => `${kind}: ${app.state.seen.size}/${TOTAL} delivered within ${DELIVERY_TIMEOUT_MS} ms`,
    );
    const seconds = Number(app.state.last - app.state.first) / 1e9;
    return { perSec: (MESSAGES - 1) / seconds, duplicates: app.state.duplicates };
  } finally {
    await proc.stop();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic], timeout: 5000 }).catch(() => undefined);
    await admin.disconnect();
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function benchBindingsInput() {
  const columns = ['daprd + Go', 'daprkit'];
  if (!(await reachable(BROKERS.split(',')[0]))) {
    console.log(`\nbindings-input: skipped — Kafka unreachable at ${BROKERS} (bash scripts/services.sh up kafka)`);
    return;
  }
  if (daprdPath() === undefined) {
    console.log('\nbindings-input: skipped — no daprd binary (bash scripts/daprd.sh builds one)');
    return;
  }
  if (!existsSync(join(root, 'packages/bindings-kafka/dist/index.js'))) {
    console.log('\nbindings-input: skipped — packages/bindings-kafka is not built (pnpm build)');
    return;
  }
  const kafka = new Kafka({ brokers: BROKERS.split(','), logLevel: logLevel.NOTHING });
  const app = await startApp();
  const scratch = mkdtempSync(join(tmpdir(), 'dkb-bindings-'));
  const results = { 'daprd + Go': [], daprkit: [] };
  const notes = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Interleaved, and the order flips each round, so drift in machine load hits both alike.
      const order = round % 2 === 0 ? ['daprd', 'daprkit'] : ['daprkit', 'daprd'];
      for (const kind of order) {
        const column = kind === 'daprkit' ? 'daprkit' : 'daprd + Go';
        try {
          const r = await oneRun(kind, kafka, app, scratch, round);
          results[column].push(r.perSec);
          if (r.duplicates > 0) notes.push(`${column} round ${round + 1}: ${r.duplicates} duplicate deliveries`);
        } catch (err) {
          notes.push(`${column} round ${round + 1}: failed: ${err.message.split('\n')[0]}`);
        }
      }
    }
  } finally {
    await app.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  const row = { scenario: 'kafka → app (HTTP POST /<binding>)' };
  for (const c of columns) if (results[c].length > 0) row[c] = median(results[c]);
  for (const c of columns) notes.push(`${c} per round: ${results[c].map((r) => r.toFixed(0)).join(', ')} msgs/s`);
  notes.push(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  printTable('bindings-input: Kafka input binding → app', columns, [row], {
    unit: 'msgs/s',
    setup: `${MESSAGES} timed records after ${WARMUP} warm-up, × ${MESSAGE_BYTES} B, ${PARTITIONS} partitions, median of ${ROUNDS} interleaved rounds`,
    notes,
  });
}
