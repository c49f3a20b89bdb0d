// brokers: publish→app delivery through Redis Streams and Kafka, daprkit-sidecar with @daprkit/pubsub-redis /
// @daprkit/pubsub-kafka in process vs daprd 1.16 with contrib's pubsub.redis / pubsub.kafka, same broker, same app.
// One round per column per broker (the `round` of brokers-mqtt-nats.mjs: fresh sidecar, fresh topic and consumer
// group, probe + WARMUP messages, then N publishes with 64 in flight, timed to the last unique delivery).
// WARMUP defaults to 2000: a fresh node process spends about half a second of CPU on V8's optimising compiler
// over its first ~2000 messages (helper threads, counted in the process's CPU); with 200, a 2000-message run
// mostly measured that one-time cost (kafka: ~480 µs/msg cold vs ~150 steady). BENCH_BROKER_WARMUP=200 shows it.
// Rounds alternate sidecar/daprd; the median per column is printed with every sample and the load average.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { median, round } from './brokers-mqtt-nats.mjs';
import { formatRate, printTable, settings } from './harness.mjs';

const ROUNDS = Number(process.env.BENCH_BROKER_ROUNDS ?? 3);
const MESSAGES = Number(process.env.BENCH_BROKER_MESSAGES ?? 2000);
const WARMUP = Number(process.env.BENCH_BROKER_WARMUP ?? 2000);
const root = new URL('..', import.meta.url).pathname;
const DAPRD = process.env.DAPRKIT_DAPRD ?? join(process.env.HOME ?? '/root', '.cache/daprkit/bin/daprd-1.16.0');
const redisHost = process.env.DAPRKIT_REDIS_HOST ?? '127.0.0.1:6379';
const kafkaBrokers = process.env.DAPRKIT_KAFKA_BROKERS ?? '127.0.0.1:9092';
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

const brokers = [
  {
    name: 'redis streams',
    type: 'pubsub.redis',
    metadata: (group) => ({ redisHost, consumerID: group }),
    async cleanup(topics) {
      const { Redis } = createRequire(join(root, 'packages/pubsub-redis/package.json'))('ioredis');
      const [host, port] = redisHost.split(':');
      const client = new Redis({ host, port: Number(port), lazyConnect: true, maxRetriesPerRequest: 1 });
      await client.connect();
      if (topics.length > 0) await client.del(...topics);
      client.disconnect();
    },
  },
  {
    name: 'kafka',
    type: 'pubsub.kafka',
    metadata: (group) => ({ brokers: kafkaBrokers, consumerGroup: group, authType: 'none' }),
    async cleanup(topics) {
      const { Kafka, logLevel } = createRequire(join(root, 'packages/pubsub-kafka/package.json'))('kafkajs');
      const admin = new Kafka({ brokers: kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await admin.deleteTopics({ topics }).catch(() => {});
      await admin.disconnect();
    },
  },
];

export async function benchBrokers() {
  const notes = [`load average before: ${load()}`];
  const rows = [];
  const kinds = existsSync(DAPRD) ? ['daprd', 'sidecar'] : ['sidecar'];
  if (kinds.length === 1) notes.push(`no daprd at ${DAPRD}: daprd column skipped`);
  const only = (process.env.BENCH_BROKERS ?? '').split(',').filter(Boolean);
  for (const broker of brokers) {
    if (only.length > 0 && !only.some((o) => broker.name.startsWith(o))) continue;
    const samples = { sidecar: [], daprd: [] };
    const cpu = { sidecar: [], daprd: [] };
    const mainCpu = [];
    const topics = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate which column goes first, so drift in the machine's load hits both alike.
      for (const kind of r % 2 === 0 ? kinds : [...kinds].reverse()) {
        const topic = `bench-${randomUUID().slice(0, 8)}`;
        topics.push(topic);
        try {
          const stats = {};
          const metadata = broker.metadata(`bench-${randomUUID()}`);
          samples[kind].push(await round(kind, broker.type, metadata, topic, stats, { warmup: WARMUP }));
          if (stats.cpuMsPerMsg !== undefined) cpu[kind].push(stats.cpuMsPerMsg);
          if (kind === 'sidecar' && stats.mainCpuMsPerMsg !== undefined) mainCpu.push(stats.mainCpuMsPerMsg);
        } catch (err) {
          notes.push(`${broker.name} ${kind} round ${r + 1} failed: ${err.message.split('\n')[0]}`);
        }
      }
      notes.push(`${broker.name} load average after round ${r + 1}: ${load()}`);
    }
    await broker.cleanup(topics).catch((err) => notes.push(`${broker.name} cleanup: ${err.message}`));
    const row = { scenario: `${broker.name} publish→delivery` };
    if (samples.daprd.length) row['daprd 1.16'] = median(samples.daprd);
    if (samples.sidecar.length) row['daprkit-sidecar'] = median(samples.sidecar);
    if (row['daprd 1.16'] && row['daprkit-sidecar'])
      notes.push(`${broker.name}: daprkit / daprd = ${(row['daprkit-sidecar'] / row['daprd 1.16']).toFixed(2)}×`);
    notes.push(
      `${broker.name} samples msgs/s: daprd ${samples.daprd.map(formatRate).join(', ')}; sidecar ${samples.sidecar.map(formatRate).join(', ')}`,
    );
    if (cpu.daprd.length && cpu.sidecar.length) {
      const [d, k] = [median(cpu.daprd), median(cpu.sidecar)];
      notes.push(
        `${broker.name} CPU µs per message (publish + delivery, the sidecar process only; median): daprd ${(d * 1000).toFixed(0)}, daprkit ${(k * 1000).toFixed(0)} (daprd / daprkit = ${(d / k).toFixed(2)}×)`,
      );
    }
    const us = (xs) => xs.map((c) => (c * 1000).toFixed(0)).join(', ');
    if (mainCpu.length)
      notes.push(
        `${broker.name} daprkit CPU µs per message, every round: ${us(cpu.sidecar)}; its JavaScript thread alone: ${us(mainCpu)}`,
      );
    rows.push(row);
  }
  notes.push(`load average after: ${load()}`);
  printTable(
    'brokers (publish→app delivery, daprd + contrib vs daprkit-sidecar)',
    ['daprd 1.16', 'daprkit-sidecar'],
    rows,
    {
      unit: 'msgs/s',
      setup: `${MESSAGES} msgs after ${WARMUP} warm-up, ${settings.concurrency} publishes in flight, median of ${ROUNDS} interleaved rounds`,
      notes,
    },
  );
  return rows;
}
