/**
 * Test access to the real Redis (`bash scripts/services.sh up redis`). Without it the Redis suites are
 * skipped with the reason in their name locally, and fail in CI (`CI=true`), where a skip would hide a gap
 * (the probe and gate are `@daprkit/redis-common/testing`'s, shared by every Redis package).
 */
import { randomUUID } from 'node:crypto';
import type { Metadata, PubSubMessage } from '@daprkit/component-sdk';
import { waitFor } from '@daprkit/component-sdk/testing';
import { createDescribeWithRedis, REDIS_HOST } from '@daprkit/redis-common/testing';
import { Redis } from 'ioredis';
import { RedisStreamsPubSub } from '../../src/index.js';

/** A database of its own (conformance uses 8, the kill test 10; the bench uses 9), so nothing here touches other suites' keys. */
export const TEST_DB = 7;

/** `describe` for suites that need the shared Redis server. */
export const describeWithRedis = await createDescribeWithRedis();

const topics = new Set<string>();

/** A topic (stream key) unique to this run, so reruns never see each other's entries. */
export function uniqueTopic(label = 'topic'): string {
  const topic = `daprkit-pubsub-redis-test-${label}-${randomUUID()}`;
  topics.add(topic);
  return topic;
}

/** Deletes the streams this run created (never FLUSHDB: the database may be shared). */
export async function deleteTopics(): Promise<void> {
  if (topics.size === 0) return;
  const client = rawClient();
  try {
    await client.del(...topics);
    topics.clear();
  } finally {
    client.disconnect();
  }
}

export function pubsubProperties(extra: Metadata = {}): Metadata {
  return { redisHost: REDIS_HOST, redisDB: String(TEST_DB), consumerID: `group-${randomUUID()}`, ...extra };
}

/** Components opened by a test, closed by `closeAll` (call it in afterEach). */
const opened = new Set<RedisStreamsPubSub>();

export async function openPubSub(extra: Metadata = {}): Promise<RedisStreamsPubSub> {
  const pubsub = new RedisStreamsPubSub();
  await pubsub.init(pubsubProperties(extra));
  opened.add(pubsub);
  return pubsub;
}

export async function closeAll(): Promise<void> {
  await Promise.all([...opened].map((pubsub) => pubsub.close()));
  opened.clear();
}

/** A plain client on the test database, to look at and tamper with the stored streams. */
export function rawClient(db = TEST_DB): Redis {
  const [name, port] = REDIS_HOST.split(':');
  return new Redis({ host: name, port: Number(port ?? 6379), db, lazyConnect: true });
}

export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  await waitFor(condition, timeoutMs, `a condition (${timeoutMs} ms)`, { intervalMs: 20 });
}

const encoder = new TextEncoder();
export const bytes = (text: string): Uint8Array => encoder.encode(text);
export const text = (message: PubSubMessage): string => Buffer.from(message.data).toString();

export function publishRequest(topic: string, data: string | Uint8Array, metadata: Metadata = {}) {
  return { pubsubName: 'pubsub', topic, data: typeof data === 'string' ? bytes(data) : data, metadata };
}
