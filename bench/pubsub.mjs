// pubsub: publish→deliver throughput for the pub/sub packages, in process and over the pluggable socket.
//
// One run = subscribe to a fresh topic, publish N messages (BENCH_PUBSUB_MESSAGES, default 5,000, 200 bytes each)
// with up to 64 publishes in flight, and time from the first publish to the last (unique) delivery.
// In process: the component object directly. Over the socket: the package's plugin bin in its own process and
// our `remotePubSub` client, which acks strictly one message at a time per stream, as daprd does.
// Before the measured batch, probe messages are published until one is delivered (a Kafka consumer group or a
// Redis consumer group may need a moment to attach), then a warm-up batch of 500 is delivered in full.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { remotePubSub } from '@daprkit/component-sdk/client';
import { goClient, runGoClient } from './go.mjs';
import { formatLatency, formatRate, fullGc, measureDetailed, printTable, settings, startPlugin } from './harness.mjs';

const MESSAGES = Number(process.env.BENCH_PUBSUB_MESSAGES ?? 5000);
const WARMUP_MESSAGES = 500;
const MESSAGE_BYTES = 200;
const DELIVERY_TIMEOUT_MS = Number(process.env.BENCH_PUBSUB_TIMEOUT_MS ?? 60_000);
const PROBE_TIMEOUT_MS = 20_000;
const redisHost = process.env.DAPRKIT_REDIS_HOST ?? '127.0.0.1:6379';
const kafkaBrokers = process.env.DAPRKIT_KAFKA_BROKERS ?? '127.0.0.1:9092';

const quietLogger = {
  debug() {},
  info() {},
  warn: (message, fields) => console.warn(`  [component warn] ${message}`, fields ?? ''),
  error: (message, fields) => console.warn(`  [component error] ${message}`, fields ?? ''),
};

const targets = [
  { name: 'pubsub-memory', backend: null, props: () => ({}) },
  { name: 'pubsub-redis', backend: redisHost, props: () => ({ redisHost }), cleanup: deleteRedisStreams },
  {
    name: 'pubsub-kafka',
    backend: kafkaBrokers.split(',')[0],
    props: (consumerID) => ({
      brokers: kafkaBrokers,
      consumerGroup: consumerID,
      authType: 'none',
      initialOffset: 'oldest',
    }),
    cleanup: deleteKafkaTopics,
  },
];

/** Each run uses fresh topics; remove them afterwards so repeated runs do not pile up streams. */
async function deleteRedisStreams(topics) {
  const { Redis } = await import('ioredis');
  const [host, port] = redisHost.split(':');
  const redis = new Redis({ host, port: Number(port), lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.del(...topics);
  } finally {
    redis.disconnect();
  }
}

async function deleteKafkaTopics(topics) {
  // kafkajs is pubsub-kafka's dependency, not the root's: resolve it from that package.
  const require = createRequire(new URL('../packages/pubsub-kafka/package.json', import.meta.url));
  const { Kafka, logLevel } = require('kafkajs');
  const admin = new Kafka({ brokers: kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics, timeout: 5000 });
  } finally {
    await admin.disconnect();
  }
}

/** Resolves to null when host:port accepts a TCP connection, or the reason it does not. */
function unreachable(hostPort, timeoutMs = 1500) {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) });
    const done = (reason) => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer from ${hostPort} within ${timeoutMs} ms`));
    socket.once('connect', () => done(null));
    socket.once('error', (err) => done(`${hostPort}: ${err.message}`));
  });
}

/** Loads a package's built definitions, or says why it cannot be used. */
async function loadPackage(name) {
  const dist = new URL(`../packages/${name}/dist/index.js`, import.meta.url);
  const bin = new URL(`../packages/${name}/bin/daprkit-${name}.js`, import.meta.url).pathname;
  if (!existsSync(dist))
    return { skip: `not built (packages/${name}/dist/index.js missing: npx tsc -b packages/${name})` };
  try {
    const mod = await import(dist.href);
    const definition = mod.definitions?.find((d) => d.kind === 'pubsub');
    if (!definition) return { skip: `packages/${name} exports no pub/sub definition` };
    return { definition, bin };
  } catch (err) {
    return { skip: `packages/${name} failed to load: ${err.message}` };
  }
}

function payload(tag, index) {
  const data = Buffer.alloc(MESSAGE_BYTES, 'x');
  data.write(`${tag}:${index}:`);
  return data;
}

/**
 * Subscribes `pubsub` (in-process component or remote client) to a fresh topic and runs probe, warm-up and the
 * measured batch. Returns { msgsPerSec, publishPerSec, duplicates }.
 */
async function publishDeliver(pubsub, topic) {
  const abort = new AbortController();
  const seen = { P: new Set(), W: new Set(), M: new Set() };
  let duplicates = 0;
  let lastDelivery = 0n;
  await pubsub.subscribe(
    { topic, metadata: {} },
    async (message) => {
      const text = Buffer.from(message.data.subarray(0, 16)).toString();
      const [tag, index] = text.split(':');
      const set = seen[tag];
      if (!set) return;
      if (set.has(index)) duplicates++;
      else {
        set.add(index);
        if (tag === 'M') lastDelivery = process.hrtime.bigint();
      }
    },
    abort.signal,
  );
  const publish = (tag, index) =>
    pubsub.publish({ data: payload(tag, index), pubsubName: 'pubsub', topic, metadata: {} });
  const waitUntil = async (predicate, timeoutMs, what) => {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(what());
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const publishAll = async (tag, count) => {
    let next = 0;
    const worker = async () => {
      while (next < count) await publish(tag, next++);
    };
    await Promise.all(Array.from({ length: Math.min(settings.concurrency, count) }, worker));
  };
  try {
    // Probe until the subscription demonstrably receives (consumer groups may attach asynchronously).
    let probes = 0;
    const probeDeadline = Date.now() + PROBE_TIMEOUT_MS;
    while (seen.P.size === 0) {
      if (Date.now() > probeDeadline)
        throw new Error(`no delivery within ${PROBE_TIMEOUT_MS} ms of subscribing (${probes} probes published)`);
      await publish('P', probes++);
      for (let i = 0; i < 20 && seen.P.size === 0; i++) await new Promise((r) => setTimeout(r, 10));
    }
    await publishAll('W', WARMUP_MESSAGES);
    await waitUntil(
      () => seen.W.size >= WARMUP_MESSAGES,
      DELIVERY_TIMEOUT_MS,
      () => `warm-up: only ${seen.W.size}/${WARMUP_MESSAGES} delivered within ${DELIVERY_TIMEOUT_MS} ms`,
    );
    duplicates = 0;
    fullGc();
    const start = process.hrtime.bigint();
    await publishAll('M', MESSAGES);
    const published = process.hrtime.bigint();
    await waitUntil(
      () => seen.M.size >= MESSAGES,
      DELIVERY_TIMEOUT_MS,
      () => `only ${seen.M.size}/${MESSAGES} delivered within ${DELIVERY_TIMEOUT_MS} ms of the last publish`,
    );
    return {
      msgsPerSec: MESSAGES / (Number(lastDelivery - start) / 1e9),
      publishPerSec: MESSAGES / (Number(published - start) / 1e9),
      duplicates,
    };
  } finally {
    abort.abort();
  }
}

async function runTarget(target, row, publishRow, notes) {
  const loaded = await loadPackage(target.name);
  if (loaded.skip) {
    notes.push(`${target.name} skipped: ${loaded.skip}`);
    return;
  }
  if (target.backend) {
    const reason = await unreachable(target.backend);
    if (reason) {
      notes.push(`${target.name} skipped: backend unreachable (${reason}; bash scripts/services.sh up)`);
      return;
    }
  }
  const topics = [];
  const freshTopic = () => {
    topics.push(`daprkit-bench-${randomUUID().slice(0, 8)}`);
    return topics.at(-1);
  };
  try {
    await inProcessAndSocket(target, loaded, row, publishRow, notes, freshTopic);
  } finally {
    await target
      .cleanup?.(topics)
      .catch((err) => notes.push(`${target.name}: could not delete bench topics ${topics.join(', ')}: ${err.message}`));
  }
}

async function inProcessAndSocket(target, loaded, row, publishRow, notes, freshTopic) {
  const describe = (label, r) =>
    `${target.name} ${label}: publish alone ${formatRate(r.publishPerSec)} msgs/s${r.duplicates ? `, ${r.duplicates} duplicate deliveries` : ''}`;

  // In process.
  const consumerID = `bench-${randomUUID().slice(0, 8)}`;
  const local = loaded.definition.create({ instanceName: 'bench', logger: quietLogger });
  try {
    await local.init({ consumerID, ...target.props(consumerID) });
    const r = await publishDeliver(local, freshTopic());
    row['in process'] = r.msgsPerSec;
    notes.push(describe('in process', r));
  } catch (err) {
    notes.push(`${target.name} in process failed: ${err.message}`);
  } finally {
    await local.close?.().catch(() => {});
  }

  // Over the socket: plugin process + daprd-like Node client (serial acks per stream).
  const plugin = await startPlugin(loaded.bin);
  let remote;
  try {
    const socketPath = await plugin.ready(loaded.definition.socketName);
    remote = remotePubSub({ socketPath, instanceName: 'bench', logger: quietLogger });
    const socketConsumer = `bench-${randomUUID().slice(0, 8)}`;
    await remote.init({ consumerID: socketConsumer, ...target.props(socketConsumer) });
    const r = await publishDeliver(remote, freshTopic());
    row.socket = r.msgsPerSec;
    notes.push(describe('socket', r));
  } catch (err) {
    notes.push(`${target.name} socket failed: ${err.message}`);
  }
  // Publish only (no subscriber), same plugin process: Node client vs Go daprd-like client, 64 in flight.
  try {
    if (remote) {
      const topic = freshTopic();
      const data = payload('X', 0);
      const node = await measureDetailed(() => remote.publish({ data, pubsubName: 'pubsub', topic, metadata: {} }));
      publishRow['socket Node'] = node.opsPerSec;
      publishRow.latency = `${target.name} publish latency p50/p99 µs: socket Node ${formatLatency(node)}`;
      const go = await goClient();
      if (go.path) {
        const consumerID = `bench-${randomUUID().slice(0, 8)}`;
        const result = await runGoClient(go.path, {
          socket: plugin.socketPath(loaded.definition.socketName),
          op: 'publish',
          instance: 'bench-go',
          props: { consumerID, ...target.props(consumerID) },
          valueBytes: MESSAGE_BYTES,
          extra: ['-pubsub-name', 'pubsub', '-topic', freshTopic()],
        });
        publishRow['socket Go'] = result.opsPerSec;
        publishRow.latency += `, socket Go ${formatLatency(result)}`;
      } else {
        publishRow.skip = go.skip;
      }
    }
  } catch (err) {
    notes.push(`${target.name} publish-only failed: ${err.message}`);
  } finally {
    await remote?.close().catch(() => {});
    await plugin.stop();
  }
}

export async function benchPubSub() {
  const rows = [];
  const publishRows = [];
  const notes = [];
  for (const target of targets) {
    const row = { scenario: target.name };
    const publishRow = { scenario: target.name };
    rows.push(row);
    publishRows.push(publishRow);
    await runTarget(target, row, publishRow, notes);
  }
  printTable('pubsub publish→deliver', ['in process', 'socket'], rows, {
    unit: 'msgs/s',
    setup: `${MESSAGES} msgs of ${MESSAGE_BYTES} B, up to ${settings.concurrency} publishes in flight, first publish → last delivery; socket acks serially like daprd`,
    notes,
  });
  const skips = [...new Set(publishRows.map((r) => r.skip).filter(Boolean))].map((s) => `socket Go skipped: ${s}`);
  printTable('pubsub publish only over the socket, no subscriber', ['socket Node', 'socket Go'], publishRows, {
    unit: 'msgs/s',
    setup: `${MESSAGE_BYTES} B payloads, ${settings.concurrency} in flight, ${settings.durationMs} ms per cell`,
    notes: [...publishRows.map((r) => r.latency).filter(Boolean), ...skips],
  });
  return rows;
}
