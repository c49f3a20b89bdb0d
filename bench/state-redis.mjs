// state-redis: Get/Set in process vs over the socket vs raw ioredis commands on the same server.
// Raw baseline = the closest plain-ioredis equivalent (HSET/HGETALL on a hash), i.e. the floor our layout sits on.
import { randomBytes } from 'node:crypto';
import { remoteStateStore } from '@daprkit/component-sdk/client';
import { definitions } from '@daprkit/state-redis';
import { Redis } from 'ioredis';
import { measure, printTable, startPlugin } from './harness.mjs';

const redisHost = process.env.DAPRKIT_REDIS_HOST ?? '127.0.0.1:6379';
const properties = { redisHost, redisDB: '9' };
const value = randomBytes(64);
const keys = Array.from({ length: 1000 }, (_, i) => `bench||key-${i}`);
const key = (i) => keys[i % keys.length];
const setOp = (store) => (i) => store.set({ key: key(i), value, metadata: {}, options: {} });
const getOp = (store) => (i) => store.get({ key: key(i), metadata: {} });

export async function benchStateRedis() {
  const [host, port] = redisHost.split(':');
  const raw = new Redis({ host, port: Number(port), db: 9, lazyConnect: true });
  try {
    await raw.connect();
  } catch (err) {
    console.log(`\nstate-redis: skipped (Redis at ${redisHost} unreachable: ${err.message}; run bash scripts/services.sh up redis)`);
    raw.disconnect();
    return [];
  }
  const local = definitions[0].create({ instanceName: 'bench', logger: console });
  await local.init(properties);
  const plugin = await startPlugin(new URL('../packages/state-redis/bin/daprkit-state-redis.js', import.meta.url).pathname);
  try {
    const remote = remoteStateStore({ socketPath: await plugin.ready('daprkit-redis'), instanceName: 'bench' });
    await remote.init(properties);
    const rawOps = {
      Set: (i) => raw.hset(`raw-${key(i)}`, 'data', value),
      Get: (i) => raw.hgetallBuffer(`raw-${key(i)}`),
    };
    const rows = [];
    for (const [scenario, make] of [['Set', setOp], ['Get', getOp]]) {
      rows.push({
        scenario,
        'raw ioredis': await measure(rawOps[scenario]),
        'in process': await measure(make(local)),
        socket: await measure(make(remote)),
      });
    }
    await remote.close?.();
    printTable('state-redis', ['raw ioredis', 'in process', 'socket'], rows);
    return rows;
  } finally {
    await local.close?.();
    raw.disconnect();
    await plugin.stop();
  }
}
