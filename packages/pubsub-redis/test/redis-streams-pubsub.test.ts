import {
  type BulkMessageEntry,
  FailedPreconditionError,
  InvalidMetadataError,
  type PubSubMessage,
  UnavailableError,
} from '@daprkit/component-sdk';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisStreamsPubSub } from '../src/index.js';
import {
  bytes,
  closeAll,
  deleteTopics,
  describeWithRedis,
  openPubSub,
  publishRequest,
  rawClient,
  text,
  uniqueTopic,
  waitUntil,
} from './support/redis.js';

/** Subscribes and records every delivery; `fail` decides per delivery whether the handler rejects. */
async function record(
  pubsub: RedisStreamsPubSub,
  topic: string,
  fail: (message: PubSubMessage, delivery: number) => boolean = () => false,
) {
  const received: PubSubMessage[] = [];
  const controller = new AbortController();
  await pubsub.subscribe(
    { topic, metadata: {} },
    async (message) => {
      received.push(message);
      if (fail(message, received.length)) throw new Error('handler failure');
    },
    controller.signal,
  );
  return { received, texts: () => received.map(text), controller };
}

async function pendingCount(client: Redis, topic: string, group: string): Promise<number> {
  const [count] = (await client.xpending(topic, group)) as [number];
  return count;
}

describe('without a usable server', () => {
  it('fails init within dialTimeout, naming redisHost', async () => {
    const pubsub = new RedisStreamsPubSub();
    const started = performance.now();
    const error = await pubsub.init({ redisHost: '127.0.0.1:1', dialTimeout: '1s' }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as Error).message).toMatch(/^metadata 'redisHost': cannot connect to 127\.0\.0\.1:1/);
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('rejects publishing before init and after close as FailedPrecondition', async () => {
    const pubsub = new RedisStreamsPubSub();
    await expect(pubsub.publish(publishRequest('t', 'x'))).rejects.toThrow('component is not initialised');
    await pubsub.close();
    const error = await pubsub.publish(publishRequest('t', 'x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FailedPreconditionError);
    expect((error as Error).message).toBe('component is closed');
    await expect(pubsub.init({ redisHost: '127.0.0.1:1' })).rejects.toThrow('component is closed');
  });
});

describeWithRedis('RedisStreamsPubSub against Redis', () => {
  let raw: Redis;

  beforeAll(async () => {
    raw = rawClient();
    await raw.connect();
  });

  afterEach(closeAll);

  afterAll(async () => {
    await deleteTopics();
    raw.disconnect();
  });

  it("stores contrib's layout: a `data` field with the exact bytes and a `metadata` JSON field", async () => {
    const pubsub = await openPubSub();
    const topic = uniqueTopic('layout');
    const payload = new Uint8Array([0xff, 0x00, 0xfe, 0x41]);
    await pubsub.publish(publishRequest(topic, payload, { traceparent: 'tp', rawPayload: 'true' }));
    await pubsub.publish(publishRequest(topic, 'no metadata'));
    const entries = await raw.xrangeBuffer(topic, '-', '+');
    expect(entries).toHaveLength(2);
    const [first, second] = entries.map(([, fields]) => fields.map((f, i) => (i % 2 === 0 ? f.toString() : f)));
    expect(first).toEqual([
      'data',
      Buffer.from(payload),
      'metadata',
      Buffer.from('{"traceparent":"tp","rawPayload":"true"}'),
    ]);
    expect(second).toEqual(['data', Buffer.from('no metadata')]);
  });

  it('delivers published messages with their bytes and metadata, and acknowledges them', async () => {
    const consumerID = `group-${crypto.randomUUID()}`;
    const pubsub = await openPubSub({ consumerID });
    const topic = uniqueTopic('roundtrip');
    const { received } = await record(pubsub, topic);
    await pubsub.publish(publishRequest(topic, new Uint8Array([1, 2, 3]), { k: 'v' }));
    await waitUntil(() => received.length === 1);
    expect(received[0]).toEqual({ data: Buffer.from([1, 2, 3]), topic, metadata: { k: 'v' } });
    await waitUntil(async () => (await pendingCount(raw, topic, consumerID)) === 0);
  });

  it('reads messages published by a plain XADD (a Go sidecar sharing the stream)', async () => {
    const pubsub = await openPubSub();
    const topic = uniqueTopic('foreign');
    const { texts } = await record(pubsub, topic);
    await raw.xadd(topic, '*', 'data', 'from go', 'metadata', '{"a":"b"}');
    await waitUntil(() => texts().length === 1);
    expect(texts()).toEqual(['from go']);
  });

  it('gives a new consumer group the whole stream, published before it subscribed', async () => {
    const topic = uniqueTopic('history');
    const publisher = await openPubSub();
    for (const n of [1, 2, 3]) await publisher.publish(publishRequest(topic, `m${n}`));
    const { texts } = await record(await openPubSub(), topic);
    await waitUntil(() => texts().length === 3);
    expect(texts().sort()).toEqual(['m1', 'm2', 'm3']);
  });

  it('delivers every message to each consumer group, and once within a group', async () => {
    const topic = uniqueTopic('groups');
    const groupA = `group-a-${crypto.randomUUID()}`;
    const a1 = await record(await openPubSub({ consumerID: groupA }), topic);
    const a2 = await record(await openPubSub({ consumerID: groupA }), topic);
    const b = await record(await openPubSub(), topic);
    const publisher = await openPubSub();
    const sent = Array.from({ length: 50 }, (_, i) => `m${i}`);
    for (const message of sent) await publisher.publish(publishRequest(topic, message));
    await waitUntil(() => b.texts().length === 50 && a1.texts().length + a2.texts().length === 50);
    expect(b.texts().sort()).toEqual([...sent].sort());
    expect([...a1.texts(), ...a2.texts()].sort()).toEqual([...sent].sort());
  });

  it('by default leaves a rejected message pending for the reclaim after processingTimeout, as contrib', async () => {
    const consumerID = `group-${crypto.randomUUID()}`;
    const pubsub = await openPubSub({ consumerID, processingTimeout: '1500ms', redeliverInterval: '100' });
    const topic = uniqueTopic('nack-reclaim');
    const deliveredAt: number[] = [];
    const { received } = await record(pubsub, topic, (_m, delivery) => {
      deliveredAt.push(Date.now());
      return delivery === 1;
    });
    await pubsub.publish(publishRequest(topic, 'once-refused'));
    await waitUntil(() => received.length === 1);
    // Redis measures the idle time, so nothing can come back before processingTimeout (load only delays it).
    await new Promise((r) => setTimeout(r, 1000));
    expect(received).toHaveLength(1);
    expect(await pendingCount(raw, topic, consumerID)).toBe(1);
    await waitUntil(() => received.length === 2, 10_000);
    expect(deliveredAt[1]! - deliveredAt[0]!).toBeGreaterThanOrEqual(1400);
    expect(text(received[1]!)).toBe('once-refused');
    await waitUntil(async () => (await pendingCount(raw, topic, consumerID)) === 0);
  });

  it('with fastRetry, redelivers a rejected message (same bytes) at once and keeps it pending until a handler succeeds', async () => {
    const consumerID = `group-${crypto.randomUUID()}`;
    const pubsub = await openPubSub({ consumerID, processingTimeout: '60s', fastRetry: 'true' });
    const topic = uniqueTopic('nack');
    let release = false;
    const { received } = await record(pubsub, topic, () => !release);
    const payload = new Uint8Array([9, 8, 7, 0, 255]);
    await pubsub.publish(publishRequest(topic, payload));
    await waitUntil(() => received.length >= 3);
    expect(await pendingCount(raw, topic, consumerID)).toBe(1);
    for (const message of received) expect(Buffer.from(message.data)).toEqual(Buffer.from(payload));
    release = true;
    const failures = received.length;
    await waitUntil(() => received.length > failures);
    await waitUntil(async () => (await pendingCount(raw, topic, consumerID)) === 0);
  });

  it('reclaims a message a dead consumer of the group never acknowledged, after processingTimeout', async () => {
    const consumerID = `group-${crypto.randomUUID()}`;
    const topic = uniqueTopic('reclaim');
    // Another consumer of the group (say a sidecar that crashed) takes the message and never acks it.
    await raw.xgroup('CREATE', topic, consumerID, '0', 'MKSTREAM');
    await raw.xadd(topic, '*', 'data', 'orphan');
    const claimed = await raw.xreadgroup('GROUP', consumerID, 'dead-sidecar', 'COUNT', 1, 'STREAMS', topic, '>');
    const handedOut = Date.now();
    expect(claimed).not.toBeNull();
    const pubsub = await openPubSub({ consumerID, processingTimeout: '1500ms', redeliverInterval: '100' });
    const { texts } = await record(pubsub, topic);
    await waitUntil(() => texts().length === 1, 5000);
    const waitedMs = Date.now() - handedOut;
    expect(texts()).toEqual(['orphan']);
    expect(waitedMs).toBeGreaterThanOrEqual(1400);
    expect(waitedMs).toBeLessThan(3000);
    await waitUntil(async () => (await pendingCount(raw, topic, consumerID)) === 0);
  });

  it('leaves an entry pending when its subscription is aborted mid-delivery; the next subscription delivers it at once', async () => {
    const consumerID = `group-${crypto.randomUUID()}`;
    const topic = uniqueTopic('abort');
    const first = await openPubSub({ consumerID, processingTimeout: '60s' });
    const hung: PubSubMessage[] = [];
    const controller = new AbortController();
    await first.subscribe(
      { topic, metadata: {} },
      (message) => {
        hung.push(message);
        return new Promise(() => {}); // never settles: the process "dies" with the message in hand
      },
      controller.signal,
    );
    await first.publish(publishRequest(topic, 'in flight'));
    await waitUntil(() => hung.length === 1);
    controller.abort();
    expect(await pendingCount(raw, topic, consumerID)).toBe(1);

    // Same consumerID, as after a restart: its own pending entries come first, long before processingTimeout.
    const restarted = await record(await openPubSub({ consumerID, processingTimeout: '60s' }), topic);
    await waitUntil(() => restarted.texts().length === 1, 3000);
    expect(restarted.texts()).toEqual(['in flight']);
    await waitUntil(async () => (await pendingCount(raw, topic, consumerID)) === 0);
  });

  it('stops only the aborted subscription', async () => {
    const pubsub = await openPubSub();
    const topicA = uniqueTopic('stop-a');
    const topicB = uniqueTopic('stop-b');
    const a = await record(pubsub, topicA);
    const b = await record(pubsub, topicB);
    const sameTopic = await record(pubsub, topicB);
    a.controller.abort();
    sameTopic.controller.abort();
    await pubsub.publish(publishRequest(topicA, 'a'));
    await pubsub.publish(publishRequest(topicB, 'b'));
    await waitUntil(() => b.texts().length === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(a.texts()).toEqual([]);
    expect(sameTopic.texts()).toEqual([]);
    expect(b.texts()).toEqual(['b']);
  });

  it('trims the stream approximately with maxLenApprox', async () => {
    const pubsub = await openPubSub({ maxLenApprox: '100' });
    const topic = uniqueTopic('maxlen');
    await Promise.all(Array.from({ length: 1000 }, (_, i) => pubsub.publish(publishRequest(topic, `m${i}`))));
    const length = await raw.xlen(topic);
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThan(300); // `~` trims whole macro nodes (100 entries by default)
  });

  it('trims entries older than streamTTL', async () => {
    const pubsub = await openPubSub({ streamTTL: '1m' });
    const topic = uniqueTopic('ttl');
    // 300 entries with ids from 1970: far older than a minute.
    for (let i = 1; i <= 300; i++) await raw.xadd(topic, `1-${i}`, 'data', 'old');
    await pubsub.publish(publishRequest(topic, 'new'));
    const length = await raw.xlen(topic);
    expect(length).toBeLessThan(301);
    const newest = await raw.xrevrange(topic, '+', '-', 'COUNT', 1);
    expect(newest[0]?.[1]).toEqual(['data', 'new']);
  });

  it('bulk publishes in one pipeline and reports failures by exact entryId', async () => {
    const pubsub = await openPubSub();
    const topic = uniqueTopic('bulk');
    const { received } = await record(pubsub, topic);
    const entries = Array.from(
      { length: 10 },
      (_, i): BulkMessageEntry => ({
        entryId: `e-${i}`,
        event: bytes(`m${i}`),
        contentType: 'text/plain',
        metadata: i === 0 ? { shared: 'entry' } : {},
      }),
    );
    const response = await pubsub.bulkPublish({ pubsubName: 'p', topic, metadata: { shared: 'request' }, entries });
    expect(response).toEqual({ failedEntries: [] });
    await waitUntil(() => received.length === 10);
    expect(received.map(text).sort()).toEqual(entries.map((e) => `m${entries.indexOf(e)}`).sort());
    expect(received.find((m) => text(m) === 'm0')?.metadata).toEqual({ shared: 'entry' });
    expect(received.find((m) => text(m) === 'm1')?.metadata).toEqual({ shared: 'request' });

    // A key of another type makes every XADD fail: each entry is reported, none thrown.
    const notAStream = uniqueTopic('bulk-wrongtype');
    await raw.set(notAStream, 'x');
    const failed = await pubsub.bulkPublish({
      pubsubName: 'p',
      topic: notAStream,
      metadata: {},
      entries: entries.slice(0, 3),
    });
    expect(failed.failedEntries.map((f) => f.entryId)).toEqual(['e-0', 'e-1', 'e-2']);
    expect(failed.failedEntries[0]?.error).toMatch(/WRONGTYPE/);
  });

  it('receives all of 1,000 messages (10 handlers at once)', async () => {
    const pubsub = await openPubSub();
    const topic = uniqueTopic('thousand');
    const { texts } = await record(pubsub, topic);
    const sent = Array.from({ length: 1000 }, (_, i) => `m${i}`);
    await Promise.all(sent.map((message) => pubsub.publish(publishRequest(topic, message))));
    await waitUntil(() => new Set(texts()).size === 1000, 20_000);
    expect(new Set(texts()).size).toBe(1000);
  });

  it('keeps publishing fast while subscriptions sit in blocking reads', async () => {
    const pubsub = await openPubSub({ readTimeout: '10s' });
    for (let i = 0; i < 3; i++) await record(pubsub, uniqueTopic('idle'));
    const topic = uniqueTopic('publish-while-blocked');
    const started = performance.now();
    for (let i = 0; i < 50; i++) await pubsub.publish(publishRequest(topic, `m${i}`));
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('holds deliveries back while paused and resumes them', async () => {
    const pubsub = await openPubSub();
    const topic = uniqueTopic('pause');
    const { texts } = await record(pubsub, topic);
    await pubsub.pause();
    await pubsub.pause(); // idempotent
    await pubsub.publish(publishRequest(topic, 'held'));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(texts()).toEqual([]);
    await pubsub.resume();
    await waitUntil(() => texts().length === 1);
  });

  it('recreates a consumer group that vanished and keeps delivering', async () => {
    const consumerID = `group-${crypto.randomUUID()}`;
    const pubsub = await openPubSub({ consumerID, readTimeout: '200ms' });
    const topic = uniqueTopic('nogroup');
    const { texts } = await record(pubsub, topic);
    await raw.xgroup('DESTROY', topic, consumerID);
    await new Promise((resolve) => setTimeout(resolve, 600)); // the next read sees NOGROUP
    await pubsub.publish(publishRequest(topic, 'after'));
    await waitUntil(() => texts().includes('after'), 5000);
  });

  it('requires consumerID to subscribe, naming the field', async () => {
    const pubsub = new RedisStreamsPubSub();
    await pubsub.init({ redisHost: process.env.DAPRKIT_REDIS_HOST ?? '127.0.0.1:6379' });
    try {
      const error = await pubsub
        .subscribe({ topic: uniqueTopic('no-consumer'), metadata: {} }, async () => {}, new AbortController().signal)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidMetadataError);
      expect((error as InvalidMetadataError).field).toBe('consumerID');
    } finally {
      await pubsub.close();
    }
  });

  it('answers ping, and rejects publishing to a key of another type as final (not retryable)', async () => {
    const pubsub = await openPubSub();
    await pubsub.ping();
    const topic = uniqueTopic('wrongtype');
    await raw.set(topic, 'x');
    const error = await pubsub.publish(publishRequest(topic, 'm')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FailedPreconditionError);
    expect((error as FailedPreconditionError).retryable).toBe(false);
  });
});
