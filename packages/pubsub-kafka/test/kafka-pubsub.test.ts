import {
  FailedPreconditionError,
  InvalidArgumentError,
  type PubSubMessage,
  UnavailableError,
} from '@daprkit/component-sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createKafkaPubSub, type KafkaPubSub } from '../src/index.js';
import {
  bytes,
  createTopic,
  describeWithKafka,
  openPubSub,
  publishRequest,
  recorder,
  text,
  unique,
} from './support/kafka.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('init', () => {
  it('fails within daprd’s 5 s init timeout, naming brokers, when no broker answers', async () => {
    const started = Date.now();
    const failure = createKafkaPubSub({ brokers: '127.0.0.1:1', authType: 'none' });
    await expect(failure).rejects.toBeInstanceOf(UnavailableError);
    await expect(failure).rejects.toThrow(/^metadata 'brokers': cannot reach 127\.0\.0\.1:1/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describeWithKafka('KafkaPubSub against a real broker', () => {
  const instances: KafkaPubSub[] = [];
  const controllers: AbortController[] = [];

  async function open(extra: Record<string, string> = {}): Promise<KafkaPubSub> {
    const pubsub = await openPubSub(extra);
    instances.push(pubsub);
    return pubsub;
  }

  async function subscribe(pubsub: KafkaPubSub, topic: string, handler: (m: PubSubMessage) => Promise<void>) {
    const controller = new AbortController();
    controllers.push(controller);
    await pubsub.subscribe({ topic, metadata: {} }, handler, controller.signal);
    return controller;
  }

  async function publishAll(pubsub: KafkaPubSub, topic: string, payloads: string[]) {
    for (const payload of payloads) await pubsub.publish(publishRequest(topic, payload));
  }

  afterEach(async () => {
    for (const controller of controllers.splice(0)) controller.abort();
    await Promise.all(instances.splice(0).map((pubsub) => pubsub.close()));
  });

  it('answers ping, and refuses to publish once closed', async () => {
    const pubsub = await open();
    await pubsub.ping();
    await pubsub.close();
    await expect(pubsub.publish(publishRequest(unique('closed'), 'x'))).rejects.toThrow(
      new FailedPreconditionError('component is closed'),
    );
  });

  it('round-trips data, key and headers, and adds the broker’s metadata', async () => {
    const pubsub = await open({ excludeHeaderMetaRegex: '^internal-' });
    const topic = unique('roundtrip');
    const sub = recorder();
    await subscribe(pubsub, topic, sub.handler);
    const before = Date.now();
    await pubsub.publish(publishRequest(topic, 'm0', { partitionKey: 'k1', traceid: 't1', 'internal-token': 'x' }));
    await pubsub.publish(publishRequest(topic, 'm1', { __key: 'k2' }));
    await pubsub.publish(publishRequest(topic, 'm2'));
    await sub.waitForAcks(3);
    expect(sub.payloads()).toEqual(['m0', 'm1', 'm2']);
    const [m0, m1, m2] = sub.acked.map((m) => m.metadata);
    expect(m0).toEqual({
      partitionKey: 'k1',
      traceid: 't1',
      __key: 'k1',
      __topic: topic,
      __partition: '0',
      __offset: '0',
      __timestamp: expect.stringMatching(/^\d+$/),
    });
    expect(Number(m0!.__timestamp)).toBeGreaterThanOrEqual(before - 1000);
    expect(m1).toMatchObject({ __key: 'k2', __offset: '1' });
    expect(m2).not.toHaveProperty('__key');
    expect(m2).toMatchObject({ __offset: '2', __partition: '0' });
    expect(sub.acked[0]!.topic).toBe(topic);
  });

  it('honours partitionNumber and rejects partitions the topic does not have', async () => {
    const pubsub = await open();
    const topic = unique('partitions');
    await createTopic(topic, 3);
    const sub = recorder();
    await subscribe(pubsub, topic, sub.handler);
    await pubsub.publish(publishRequest(topic, 'p2', { partitionNumber: '2' }));
    await pubsub.publish(publishRequest(topic, 'p1', { partitionNumber: '1' }));
    const outOfRange = pubsub.publish(publishRequest(topic, 'p3', { partitionNumber: '3' }));
    await expect(outOfRange).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(outOfRange).rejects.toThrow(/partitionNumber.*out of range.*3 partitions/);
    await sub.waitForAcks(2);
    const partitionOf = Object.fromEntries(sub.acked.map((m) => [text(m), m.metadata.__partition]));
    expect(partitionOf).toEqual({ p2: '2', p1: '1' });
  });

  it('redelivers a rejected message before anything behind it on its partition', async () => {
    const pubsub = await open();
    const topic = unique('order');
    const payloads = range(1, 20).map((n) => `m${n}`);
    await publishAll(pubsub, topic, payloads);
    const sub = recorder((payload, attempt) => payload === 'm5' && attempt <= 2);
    await subscribe(pubsub, topic, sub.handler);
    await sub.waitForAcks(20);
    expect(sub.payloads()).toEqual(payloads);
    expect(sub.deliveries).toEqual([...payloads.slice(0, 5), 'm5', 'm5', ...payloads.slice(5)]);
  });

  it('commits only after success: the next consumer of the group gets exactly the unacknowledged messages', async () => {
    const group = unique('group');
    const topic = unique('handover');
    const first = await open({ consumerGroup: group });
    const payloads = range(1, 10).map((n) => `m${n}`);
    await publishAll(first, topic, payloads);
    const acked: string[] = [];
    let closing: Promise<void> | undefined;
    const controller = new AbortController();
    await first.subscribe(
      { topic, metadata: {} },
      async (message) => {
        if (text(message) === 'm6') {
          // Leave while m6 is in flight and the commits of m1..m5 may still be queued.
          controller.abort();
          closing = first.close();
          await new Promise(() => {}); // never acknowledged
        }
        acked.push(text(message));
      },
      controller.signal,
    );
    await vi.waitFor(() => expect(closing).toBeDefined(), { timeout: 20_000 });
    await closing;
    expect(acked).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);

    const second = await open({ consumerGroup: group });
    const sub = recorder();
    await subscribe(second, topic, sub.handler);
    await sub.waitForAcks(5);
    await sleep(500); // anything committed wrongly (or not at all) would show up here
    expect(sub.deliveries).toEqual(['m6', 'm7', 'm8', 'm9', 'm10']);
  });

  it('skips a message once backOffMaxRetries is used up, and commits past it', async () => {
    const group = unique('group');
    const topic = unique('poison');
    const first = await open({ consumerGroup: group, backOffMaxRetries: '1', backOffDuration: '20ms' });
    await publishAll(first, topic, ['poison', 'ok1']);
    const sub = recorder((payload) => payload === 'poison');
    await subscribe(first, topic, sub.handler);
    await sub.waitForAcks(1);
    expect(sub.deliveries).toEqual(['poison', 'poison', 'ok1']);
    await first.close();

    const second = await open({ consumerGroup: group });
    await second.publish(publishRequest(topic, 'ok2'));
    const later = recorder();
    await subscribe(second, topic, later.handler);
    await later.waitForAcks(1);
    await sleep(500);
    expect(later.deliveries).toEqual(['ok2']);
  });

  it('keeps other partitions flowing while one waits out its backoff', async () => {
    const pubsub = await open({ backOffDuration: '3s' });
    const topic = unique('isolation');
    await createTopic(topic, 2);
    await pubsub.publish(publishRequest(topic, 'a1', { partitionNumber: '0' }));
    for (const payload of ['b1', 'b2', 'b3'])
      await pubsub.publish(publishRequest(topic, payload, { partitionNumber: '1' }));
    const sub = recorder((payload, attempt) => payload === 'a1' && attempt === 1);
    await subscribe(pubsub, topic, sub.handler);
    await vi.waitFor(() => expect(sub.payloads()).toEqual(expect.arrayContaining(['b1', 'b2', 'b3'])), {
      timeout: 2500,
      interval: 20,
    });
    expect(sub.attempts.get('a1')).toBe(1);
    await sub.waitForAcks(4);
    expect(sub.payloads().filter((p) => p.startsWith('b'))).toEqual(['b1', 'b2', 'b3']);
  });

  it('bulk-publishes in one call and reports exactly the entries that cannot be published', async () => {
    const pubsub = await open({ maxMessageBytes: '1k', compression: 'gzip' });
    const topic = unique('bulk');
    await createTopic(topic, 2);
    const response = await pubsub.bulkPublish({
      pubsubName: 'pubsub',
      topic,
      metadata: { traceid: 'request', source: 'bulk' },
      entries: [
        { entryId: 'e1', event: bytes('one'), metadata: { partitionNumber: '1' } },
        { entryId: 'e2', event: bytes('bad partition'), metadata: { partitionNumber: '5' } },
        { entryId: 'e3', event: new Uint8Array(2048), metadata: {} },
        {
          entryId: 'e4',
          event: bytes('four'),
          contentType: 'text/plain',
          metadata: { traceid: 'entry', partitionNumber: '1' },
        },
      ],
    });
    expect(response.failedEntries.map((f) => f.entryId)).toEqual(['e2', 'e3']);
    expect(response.failedEntries[0]!.error).toMatch(/out of range/);
    expect(response.failedEntries[1]!.error).toMatch(/maxMessageBytes/);
    const sub = recorder();
    await subscribe(pubsub, topic, sub.handler);
    await sub.waitForAcks(2);
    expect(sub.payloads()).toEqual(['one', 'four']);
    expect(sub.acked[0]!.metadata).toMatchObject({ traceid: 'request', source: 'bulk' });
    expect(sub.acked[1]!.metadata).toMatchObject({ traceid: 'entry', source: 'bulk' });
  });

  it('keeps one topic flowing when another subscription on the instance is aborted', async () => {
    const pubsub = await open();
    const [topicA, topicB] = [unique('multi-a'), unique('multi-b')];
    const a = recorder();
    const b = recorder();
    const stopA = await subscribe(pubsub, topicA, a.handler);
    await subscribe(pubsub, topicB, b.handler);
    await pubsub.publish(publishRequest(topicA, 'a1'));
    await pubsub.publish(publishRequest(topicB, 'b1'));
    await a.waitForAcks(1);
    await b.waitForAcks(1);

    stopA.abort();
    await pubsub.publish(publishRequest(topicA, 'a2'));
    await pubsub.publish(publishRequest(topicB, 'b2'));
    await b.waitForAcks(2);
    expect(b.payloads()).toEqual(['b1', 'b2']);
    expect(a.deliveries).toEqual(['a1']);

    // a2 was never acknowledged, so a later subscription to the topic gets it.
    const again = recorder();
    await subscribe(pubsub, topicA, again.handler);
    await again.waitForAcks(1);
    expect(again.payloads()).toEqual(['a2']);
    expect(b.deliveries).toEqual(['b1', 'b2']);
  });

  it('starts new groups at initialOffset, and "newest" means from subscribe() even across sessions', async () => {
    const topic = unique('offsets');
    const publisher = await open();
    await publisher.publish(publishRequest(topic, 'before'));

    const oldest = recorder();
    await subscribe(await open({ initialOffset: 'oldest' }), topic, oldest.handler);
    const newest = recorder();
    const newestGroup = unique('group');
    await subscribe(await open({ initialOffset: 'newest', consumerGroup: newestGroup }), topic, newest.handler);
    await publisher.publish(publishRequest(topic, 'after'));
    await oldest.waitForAcks(2);
    await newest.waitForAcks(1);
    expect(oldest.payloads()).toEqual(['before', 'after']);
    expect(newest.payloads()).toEqual(['after']);

    // A group that subscribed but never acknowledged anything keeps its place while no session runs.
    const idleGroup = unique('group');
    const idle = await open({ initialOffset: 'newest', consumerGroup: idleGroup });
    await subscribe(idle, topic, recorder().handler);
    await idle.close();
    await publisher.publish(publishRequest(topic, 'while-away'));
    const back = recorder();
    await subscribe(await open({ initialOffset: 'newest', consumerGroup: idleGroup }), topic, back.handler);
    await back.waitForAcks(1);
    await sleep(300);
    expect(back.deliveries).toEqual(['while-away']);
  });

  it('pause() holds deliveries back until resume()', async () => {
    const pubsub = await open();
    const topic = unique('pause');
    const sub = recorder();
    await subscribe(pubsub, topic, sub.handler);
    await pubsub.pause();
    await pubsub.pause();
    await pubsub.publish(publishRequest(topic, 'held'));
    await sleep(1500);
    expect(sub.deliveries).toEqual([]);
    await pubsub.resume();
    await sub.waitForAcks(1);
    expect(sub.payloads()).toEqual(['held']);
  });
});
