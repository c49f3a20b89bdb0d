// state-redis: Get/Set as raw ioredis commands vs in process vs over the socket (Node client and Go daprd-like
// client), all against the same Redis server (DAPRKIT_REDIS_HOST, default 127.0.0.1:6379, database 9).
// Raw baseline = the closest plain-ioredis equivalent (HSET/HGETALL on a hash), i.e. the floor our layout sits on.
import { randomBytes } from 'node:crypto';
import { definitions } from '@daprkit/state-redis';
import { Redis } from 'ioredis';
import { formatLatency, measureDetailed, printTable } from './harness.mjs';
import { COLUMNS, stateRows } from './state-memory.mjs';

const redisHost = process.env.DAPRKIT_REDIS_HOST ?? '127.0.0.1:6379';
const properties = { redisHost, redisDB: '9' };
const value = randomBytes(64);
const keys = Array.from({ length: 1000 }, (_, i) => `bench||key-${i}`);
const key = (i) => keys[i % keys.length];

export async function benchStateRedis() {
  const [host, port] = redisHost.split(':');
  const raw = new Redis({ host, port: Number(port), db: 9, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await raw.connect();
  } catch (err) {
    console.log(
      `\nstate-redis: skipped (Redis at ${redisHost} unreachable: ${err.message}; run bash scripts/services.sh up redis)`,
    );
    raw.disconnect();
    return [];
  }
  const local = definitions[0].create({ instanceName: 'bench', logger: console });
  await local.init(properties);
  try {
    const rawOps = {
      Set: (i) => raw.hset(`raw-${key(i)}`, 'data', value),
      Get: (i) => raw.hgetallBuffer(`raw-${key(i)}`),
    };
    const rawResults = {};
    for (const scenario of ['Set', 'Get']) rawResults[scenario] = await measureDetailed(rawOps[scenario]);
    const { rows, notes } = await stateRows({
      local,
      pluginBin: new URL('../packages/state-redis/bin/daprkit-state-redis.js', import.meta.url).pathname,
      socketName: 'daprkit-redis',
      properties,
    });
    for (const row of rows) row['raw ioredis'] = rawResults[row.scenario].opsPerSec;
    const latency = rows.map(
      (r) => `${r.scenario} raw ioredis latency p50/p99 µs: ${formatLatency(rawResults[r.scenario])}`,
    );
    printTable('state-redis', ['raw ioredis', ...COLUMNS], rows, {
      ratios: [
        ['in process', 'raw ioredis'],
        ['socket Node', 'raw ioredis'],
        ['socket Go', 'raw ioredis'],
        ['socket Go', 'socket Node'],
      ],
      notes: [...latency, ...notes],
    });
    return rows;
  } finally {
    await local.close?.();
    raw.disconnect();
  }
}
