import { readFileSync } from 'node:fs';
import {
  FailedPreconditionError,
  InvalidMetadataError,
  type Logger,
  type PublishRequest,
  type PubSubMessage,
  resolvePubSubFeatures,
} from '@daprkit/component-sdk';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryPubSub, definitions, MemoryPubSub, topicMatches, VERSION } from '../src/index.js';
import { redeliveryDelayMs, redeliveryPolicyOf } from '../src/metadata.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const text = (message: PubSubMessage) => decoder.decode(message.data);
const request = (topic: string, payload: string, extra: Partial<PublishRequest> = {}): PublishRequest => ({
  topic,
  data: encoder.encode(payload),
  pubsubName: 'pubsub',
  metadata: {},
  ...extra,
});

/** A handler that records what it acknowledged (and, via `fail`, rejects chosen deliveries). */
function recorder(fail: (message: PubSubMessage, attempt: number) => boolean = () => false) {
  const acked: PubSubMessage[] = [];
  const deliveries: string[] = [];
  const attempts = new Map<string, number>();
  const handler = async (message: PubSubMessage) => {
    const payload = text(message);
    const attempt = (attempts.get(payload) ?? 0) + 1;
    attempts.set(payload, attempt);
    deliveries.push(payload);
    if (fail(message, attempt)) throw new Error(`rejecting ${payload}`);
    acked.push(message);
  };
  const payloads = () => acked.map(text);
  const waitForAcks = (count: number) =>
    vi.waitFor(() => expect(acked).toHaveLength(count), { timeout: 5000, interval: 2 });
  return { handler, acked, deliveries, payloads, waitForAcks };
}

let pubsub: MemoryPubSub;
const controllers: AbortController[] = [];
const subscribe = async (topic: string, handler: (m: PubSubMessage) => Promise<void>, target = pubsub) => {
  const controller = new AbortController();
  controllers.push(controller);
  await target.subscribe({ topic, metadata: {} }, handler, controller.signal);
  return controller;
};

beforeEach(async () => {
  pubsub = await createMemoryPubSub({ consumerID: 'app1', redeliveryDelay: '5ms', maxRedeliveryDelay: '20ms' });
});
afterEach(async () => {
  for (const controller of controllers.splice(0)) controller.abort();
  await pubsub.close();
});

describe('publish and subscribe', () => {
  it('delivers data, topic, metadata and content type in publish order', async () => {
    const sub = recorder();
    await subscribe('orders', sub.handler);
    for (const n of [1, 2, 3]) {
      await pubsub.publish(request('orders', `m${n}`, { metadata: { traceid: `t${n}` }, contentType: 'text/plain' }));
    }
    await sub.waitForAcks(3);
    expect(sub.payloads()).toEqual(['m1', 'm2', 'm3']);
    expect(sub.acked[0]).toMatchObject({ topic: 'orders', metadata: { traceid: 't1' }, contentType: 'text/plain' });
  });

  it('drops messages nobody is subscribed to and never leaks across topics', async () => {
    await pubsub.publish(request('orders', 'before-subscribe'));
    const orders = recorder();
    await subscribe('orders', orders.handler);
    await pubsub.publish(request('payments', 'other-topic'));
    await pubsub.publish(request('orders', 'after-subscribe'));
    await orders.waitForAcks(1);
    await sleep(20);
    expect(orders.payloads()).toEqual(['after-subscribe']);
  });

  it('does not make publishers wait for handlers', async () => {
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handled: string[] = [];
    await subscribe('slow', async (message) => {
      await stuck;
      handled.push(text(message));
    });
    const started = Date.now();
    for (let n = 0; n < 20; n++) await pubsub.publish(request('slow', `m${n}`));
    expect(Date.now() - started).toBeLessThan(100);
    expect(handled).toEqual([]);
    release();
    await vi.waitFor(() => expect(handled).toHaveLength(20));
    expect(handled).toEqual(Array.from({ length: 20 }, (_, n) => `m${n}`));
  });

  it('delivers 1,000 messages exactly once each, in order, when the handler never fails', async () => {
    const sub = recorder();
    await subscribe('bulk-load', sub.handler);
    const ids = Array.from({ length: 1000 }, () => crypto.randomUUID());
    for (const id of ids) await pubsub.publish(request('bulk-load', id));
    await sub.waitForAcks(1000);
    await sleep(20);
    expect(sub.deliveries).toHaveLength(1000);
    expect(new Set(sub.payloads()).size).toBe(1000);
    expect(sub.payloads()).toEqual(ids);
  });
});

describe('wildcards and several subscriptions', () => {
  it('a trailing * matches longer topics with that prefix, not the prefix itself', async () => {
    expect(topicMatches('orders.*', 'orders.new')).toBe(true);
    expect(topicMatches('orders.*', 'orders.eu.paid')).toBe(true);
    expect(topicMatches('orders.*', 'orders.')).toBe(false);
    expect(topicMatches('orders.*', 'orders')).toBe(false);
    expect(topicMatches('orders', 'orders.new')).toBe(false);
    expect(topicMatches('orders*', 'orders*')).toBe(true);

    const sub = recorder();
    await subscribe('orders.*', sub.handler);
    for (const topic of ['orders.', 'orders.new', 'payments.new', 'orders.eu.paid']) {
      await pubsub.publish(request(topic, topic));
    }
    await sub.waitForAcks(2);
    await sleep(20);
    expect(sub.acked.map((m) => m.topic)).toEqual(['orders.new', 'orders.eu.paid']);
  });

  it('two subscriptions on one topic both receive; aborting one, even with the same handler, leaves the other', async () => {
    const received: string[] = [];
    const sharedHandler = async (message: PubSubMessage) => {
      received.push(text(message));
    };
    const first = await subscribe('shared', sharedHandler);
    await subscribe('shared', sharedHandler);
    await pubsub.publish(request('shared', 'both'));
    await vi.waitFor(() => expect(received).toEqual(['both', 'both']));

    first.abort();
    await pubsub.publish(request('shared', 'one'));
    await vi.waitFor(() => expect(received).toContain('one'));
    await sleep(20);
    expect(received).toEqual(['both', 'both', 'one']);
  });

  it('subscribing with an already aborted signal attaches nothing', async () => {
    const sub = recorder();
    await pubsub.subscribe({ topic: 'gone', metadata: {} }, sub.handler, AbortSignal.abort());
    await pubsub.publish(request('gone', 'x'));
    await sleep(20);
    expect(sub.deliveries).toEqual([]);
  });
});

describe('negative acks and redelivery', () => {
  it('redelivers the same bytes after a rejection and keeps the order', async () => {
    const sub = recorder((message, attempt) => text(message) === 'm2' && attempt <= 2);
    await subscribe('retry', sub.handler);
    const published = ['m1', 'm2', 'm3', 'm4'].map((p) => request('retry', p));
    for (const r of published) await pubsub.publish(r);
    await sub.waitForAcks(4);
    expect(sub.deliveries).toEqual(['m1', 'm2', 'm2', 'm2', 'm3', 'm4']);
    expect(sub.payloads()).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(sub.acked[1]!.data).toEqual(published[1]!.data);
  });

  it('a rejection in one subscription does not redeliver to another', async () => {
    const failing = recorder((_m, attempt) => attempt === 1);
    const healthy = recorder();
    await subscribe('split', failing.handler);
    await subscribe('split', healthy.handler);
    await pubsub.publish(request('split', 'm'));
    await failing.waitForAcks(1);
    await healthy.waitForAcks(1);
    expect(failing.deliveries).toEqual(['m', 'm']);
    expect(healthy.deliveries).toEqual(['m']);
  });

  it('backs off from redeliveryDelay, doubling up to maxRedeliveryDelay', () => {
    const policy = redeliveryPolicyOf({});
    expect(policy).toEqual({ initialDelayMs: 100, maxDelayMs: 5000, maxRedeliveries: 0 });
    expect([1, 2, 3, 6, 7, 30].map((n) => redeliveryDelayMs(policy, n))).toEqual([100, 200, 400, 3200, 5000, 5000]);
  });

  it('waits the backoff before redelivering', async () => {
    const slow = await createMemoryPubSub({ redeliveryDelay: '150ms' });
    try {
      const times: number[] = [];
      const sub = recorder((_m, attempt) => {
        times.push(Date.now());
        return attempt === 1;
      });
      await subscribe('backoff', sub.handler, slow);
      await slow.publish(request('backoff', 'm'));
      await sub.waitForAcks(1);
      expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(140);
    } finally {
      await slow.close();
    }
  });

  it('drops a message with a warning after maxRedeliveries, then moves on', async () => {
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (message) => warnings.push(message) };
    const capped = await createMemoryPubSub({ redeliveryDelay: '1ms', maxRedeliveries: '2' }, logger);
    try {
      const sub = recorder((message) => text(message) === 'poison');
      await subscribe('capped', sub.handler, capped);
      await capped.publish(request('capped', 'poison'));
      await capped.publish(request('capped', 'next'));
      await sub.waitForAcks(1);
      expect(sub.deliveries).toEqual(['poison', 'poison', 'poison', 'next']);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/dropping a message/);
    } finally {
      await capped.close();
    }
  });

  it('aborting stops delivery even while a handler never settles', async () => {
    let calls = 0;
    const controller = await subscribe('hang', async () => {
      calls++;
      await new Promise(() => {});
    });
    await pubsub.publish(request('hang', 'a'));
    await vi.waitFor(() => expect(calls).toBe(1));
    controller.abort();
    const other = recorder();
    await subscribe('hang', other.handler);
    await pubsub.publish(request('hang', 'b'));
    await other.waitForAcks(1);
    await sleep(20);
    expect(calls).toBe(1);
  });
});

describe('bulk publish', () => {
  it('publishes every entry with merged metadata and reports failures by exact entryId', async () => {
    const sub = recorder();
    await subscribe('batch', sub.handler);
    const response = await pubsub.bulkPublish({
      topic: 'batch',
      pubsubName: 'pubsub',
      metadata: { source: 'request', shared: 'request' },
      entries: [
        { entryId: '11', event: encoder.encode('e11'), contentType: 'text/plain', metadata: { shared: 'entry' } },
        { entryId: 'broken-☃', event: 'not bytes' as unknown as Uint8Array, metadata: {} },
        { entryId: '13', event: encoder.encode('e13'), metadata: {} },
      ],
    });
    expect(response.failedEntries).toEqual([{ entryId: 'broken-☃', error: 'message data must be bytes' }]);
    await sub.waitForAcks(2);
    expect(sub.payloads()).toEqual(['e11', 'e13']);
    expect(sub.acked[0]).toMatchObject({ contentType: 'text/plain', metadata: { source: 'request', shared: 'entry' } });
    expect(sub.acked[1]!.contentType).toBeUndefined();
  });
});

describe('pause and resume', () => {
  it('holds deliveries while paused (the queue keeps filling) and resumes in order; both are idempotent', async () => {
    const sub = recorder();
    await subscribe('p', sub.handler);
    await pubsub.publish(request('p', 'm1'));
    await sub.waitForAcks(1);
    await pubsub.pause();
    await pubsub.pause();
    for (const n of [2, 3, 4]) await pubsub.publish(request('p', `m${n}`));
    await sleep(30);
    expect(sub.payloads()).toEqual(['m1']);
    await pubsub.resume();
    await pubsub.resume();
    await sub.waitForAcks(4);
    expect(sub.payloads()).toEqual(['m1', 'm2', 'm3', 'm4']);
  });
});

describe('lifecycle and definition', () => {
  it('close stops deliveries and later publish/subscribe fail as a terminal error', async () => {
    let calls = 0;
    await subscribe('c', async () => {
      calls++;
      await sleep(10);
    });
    await pubsub.publish(request('c', 'a'));
    await pubsub.publish(request('c', 'b'));
    await vi.waitFor(() => expect(calls).toBe(1));
    await pubsub.close();
    await pubsub.close();
    await sleep(30);
    expect(calls).toBe(1); // 'b' was still queued and is dropped
    const failure = await pubsub.publish(request('c', 'x')).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(FailedPreconditionError);
    expect((failure as Error).message).toBe('component is closed');
    await expect(
      pubsub.subscribe({ topic: 'c', metadata: {} }, async () => {}, new AbortController().signal),
    ).rejects.toThrow(FailedPreconditionError);
    await expect(pubsub.bulkPublish({ topic: 'c', pubsubName: 'p', metadata: {}, entries: [] })).rejects.toThrow(
      'component is closed',
    );
  });

  it('ignores unknown metadata and rejects malformed settings', async () => {
    await expect(createMemoryPubSub({ consumerID: 'x', somethingElse: 'y' })).resolves.toBeInstanceOf(MemoryPubSub);
    await expect(createMemoryPubSub({ redeliveryDelay: 'soon' })).rejects.toBeInstanceOf(InvalidMetadataError);
    await expect(createMemoryPubSub({ redeliveryDelay: '10s', maxRedeliveryDelay: '1s' })).rejects.toThrow(
      /maxRedeliveryDelay/,
    );
    expect(redeliveryPolicyOf({ redeliveryDelay: '2', maxRedeliveryDelay: '1m' })).toMatchObject({
      initialDelayMs: 2000,
      maxDelayMs: 60_000,
    });
  });

  it('declares wildcards and immediate bulk subscribe; bulk publish follows from the method', () => {
    expect(new Set(resolvePubSubFeatures(pubsub))).toEqual(
      new Set(['SUBSCRIBE_WILDCARDS', 'BULK_SUBSCRIBE_IMMEDIATE', 'BULK_PUBSUB']),
    );
  });

  it('exports one definition serving both type names, with the package version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(VERSION).toBe(pkg.version);
    expect(definitions).toHaveLength(1);
    expect(definitions[0]).toMatchObject({
      kind: 'pubsub',
      socketName: 'daprkit-memory',
      types: ['pubsub.in-memory', 'pubsub.daprkit-memory'],
      packageName: pkg.name,
      version: pkg.version,
    });
    expect(definitions[0]!.create({ instanceName: 'x', logger: console })).toBeInstanceOf(MemoryPubSub);
  });
});
