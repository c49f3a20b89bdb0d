/**
 * Test access to the real Redis (`bash scripts/services.sh up redis`). Without it the Redis suites are
 * skipped with the reason in their name locally, and fail in CI (`CI=true`), where a skip would hide a gap
 * (the probe and gate are `@daprkit/redis-common/testing`'s, shared by every Redis package).
 */
import { randomUUID } from 'node:crypto';
import type { GetRequest, Metadata, SetRequest } from '@daprkit/component-sdk';
import { createDescribeWithRedis, REDIS_HOST } from '@daprkit/redis-common/testing';
import { Redis } from 'ioredis';
import { RedisStateStore } from '../../src/index.js';

/** A database of its own, so nothing here touches other suites' keys (conformance uses 6). */
export const TEST_DB = 5;

/** `describe` for suites that need the shared Redis server. */
export const describeWithRedis = await createDescribeWithRedis();

/** Keys unique to this run, shaped like daprd's (`app||key`), so reruns never see each other's data. */
export function keyPrefix(): string {
  return `daprkit-state-redis-test-${randomUUID()}||`;
}

export function storeProperties(extra: Metadata = {}): Metadata {
  return { redisHost: REDIS_HOST, redisDB: String(TEST_DB), ...extra };
}

export async function openStore(extra: Metadata = {}): Promise<RedisStateStore> {
  const store = new RedisStateStore();
  await store.init(storeProperties(extra));
  return store;
}

/** A plain client on the test database, to look at the stored layout. */
export function rawClient(): Redis {
  const [name, port] = REDIS_HOST.split(':');
  return new Redis({ host: name, port: Number(port ?? 6379), db: TEST_DB, lazyConnect: true });
}

/** Deletes this run's keys only (never FLUSHDB: the database may be shared). */
export async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

const encoder = new TextEncoder();
export const bytes = (text: string): Uint8Array => encoder.encode(text);
export const text = (data: Uint8Array | undefined): string | undefined =>
  data === undefined ? undefined : Buffer.from(data).toString();

export function setRequest(key: string, value: string | Uint8Array, extra: Partial<SetRequest> = {}): SetRequest {
  return { key, value: typeof value === 'string' ? bytes(value) : value, metadata: {}, options: {}, ...extra };
}

export function getRequest(key: string): GetRequest {
  return { key, metadata: {} };
}
