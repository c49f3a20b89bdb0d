/**
 * Test access to the real Redis (`bash scripts/services.sh up redis`). Without it the Redis suites are
 * skipped with the reason in their name locally, and fail in CI (`CI=true`), where a skip would hide a gap.
 */
import { randomUUID } from 'node:crypto';
import type { GetRequest, Metadata, SetRequest } from '@daprkit/component-sdk';
import { Redis } from 'ioredis';
import { describe, it } from 'vitest';
import { RedisStateStore } from '../../src/index.js';

export const REDIS_HOST = process.env.DAPRKIT_REDIS_HOST ?? '127.0.0.1:6379';
/** A database of its own, so nothing here touches other suites' keys (conformance uses 6). */
export const TEST_DB = 5;

/** Throws when Redis does not answer a PING within a second. */
export async function probeRedis(host = REDIS_HOST, password?: string): Promise<void> {
  const [name, port] = host.split(':');
  const client = new Redis({
    host: name,
    port: Number(port ?? 6379),
    password,
    lazyConnect: true,
    connectTimeout: 1000,
    commandTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // connect() rejects with a bare "Connection is closed."; the 'error' event has the cause (ECONNREFUSED, ...).
  let cause: Error | undefined;
  client.on('error', (err: Error) => {
    cause ??= err;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw cause ?? err;
  } finally {
    client.disconnect();
  }
}

const unreachable = await probeRedis().then(
  () => undefined,
  (err: Error) => err.message || String(err),
);

/** `describe` that runs when `missing` is undefined; otherwise skipped visibly, or failing in CI. */
export function describeIfAvailable(missing: string | undefined, name: string, body: () => void): void {
  if (missing === undefined) {
    describe(name, body);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it('has its backend', () => {
        throw new Error(`${missing}; CI must provide it`);
      });
    });
  } else {
    describe.skip(`${name} [skipped: ${missing}; run bash scripts/services.sh up redis]`, body);
  }
}

/** `describe` for suites that need the shared Redis server. */
export function describeWithRedis(name: string, body: () => void): void {
  describeIfAvailable(unreachable && `Redis unreachable at ${REDIS_HOST}: ${unreachable}`, name, body);
}

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
