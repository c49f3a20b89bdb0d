/** Behaviour against the real broker: topology names and flags, acks, requeue, dead letters, TTL, priority, pause. */
import { connect, createServer, type Socket } from 'node:net';
import type { PubSubMessage } from '@daprkit/component-sdk';
import {
  createDescribeWithRabbitMQTls,
  RABBITMQ_TLS_URL,
  type RabbitAdmin,
  testTlsMaterial,
} from '@daprkit/rabbitmq-common/testing';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { RabbitMQPubSub } from '../src/index.js';
import {
  closeAll,
  describeWithRabbitMQ,
  openAdmin,
  openPubSub,
  properties,
  publishRequest,
  RABBITMQ_URL,
  text,
  unique,
  waitUntil,
} from './support/rabbitmq.js';

describeWithRabbitMQ('pubsub.rabbitmq against RabbitMQ', () => {
  let admin: RabbitAdmin;
  const cleanup = { queues: [] as string[], exchanges: [] as string[] };
  beforeAll(async () => {
    admin = await openAdmin();
  });
  afterEach(() => closeAll());
  afterAll(async () => {
    await admin.remove(cleanup);
    await admin.close();
  });

  function collect(fail: (payload: string, attempt: number) => boolean = () => false) {
    const acked: string[] = [];
    const attempts = new Map<string, number>();
    const messages: PubSubMessage[] = [];
    const handler = async (message: PubSubMessage) => {
      const payload = text(message);
      const attempt = (attempts.get(payload) ?? 0) + 1;
      attempts.set(payload, attempt);
      if (fail(payload, attempt)) throw new Error(`rejecting ${payload}`);
      acked.push(payload);
      messages.push(message);
    };
    return { handler, acked, attempts, messages };
  }

  it("declares contrib's topology: exchange = topic, queue `<consumerID>-<topic>`, and delivers", async () => {
    const topic = unique('topo');
    const consumerID = unique('app');
    const pubsub = await openPubSub({ consumerID });
    const got = collect();
    await pubsub.subscribe({ topic, metadata: {} }, got.handler, new AbortController().signal);
    expect(await admin.exchangeExists(topic)).toBe(true);
    expect(await admin.queue(`${consumerID}-${topic}`)).toMatchObject({ consumerCount: 1 });
    await pubsub.publish(publishRequest(topic, 'hello'));
    await waitUntil(() => got.acked.length === 1);
    expect(got.messages[0]!.topic).toBe(topic);
    expect(got.messages[0]!.metadata).toEqual({});
    expect(pubsub.features()).toEqual(['MESSAGE_TTL']);
  });

  it('fans out to every consumerID and load-balances the replicas of one', async () => {
    const topic = unique('fan');
    const appA = unique('a');
    const [a1, a2, b] = await Promise.all([
      openPubSub({ consumerID: appA }),
      openPubSub({ consumerID: appA }),
      openPubSub({ consumerID: unique('b') }),
    ]);
    const [r1, r2, rb] = [collect(), collect(), collect()];
    const signal = new AbortController().signal;
    await a1.subscribe({ topic, metadata: {} }, r1.handler, signal);
    await a2.subscribe({ topic, metadata: {} }, r2.handler, signal);
    await b.subscribe({ topic, metadata: {} }, rb.handler, signal);
    for (let i = 0; i < 20; i++) await a1.publish(publishRequest(topic, `m${i}`));
    await waitUntil(() => rb.acked.length === 20 && r1.acked.length + r2.acked.length === 20);
    expect(r1.acked.length).toBeGreaterThan(0);
    expect(r2.acked.length).toBeGreaterThan(0);
    expect(new Set([...r1.acked, ...r2.acked]).size).toBe(20);
  });

  it('requeueInFailure: a rejected message comes back; without it, it is dropped', async () => {
    const topic = unique('requeue');
    const requeue = await openPubSub({ requeueInFailure: 'true' });
    const drop = await openPubSub({ requeueInFailure: 'false' });
    const again = collect((_, attempt) => attempt < 3);
    const once = collect(() => true);
    const signal = new AbortController().signal;
    await requeue.subscribe({ topic, metadata: {} }, again.handler, signal);
    await drop.subscribe({ topic, metadata: {} }, once.handler, signal);
    await requeue.publish(publishRequest(topic, 'poison'));
    await waitUntil(() => again.acked.length === 1);
    expect(again.attempts.get('poison')).toBe(3);
    await new Promise((r) => setTimeout(r, 300));
    expect(once.attempts.get('poison')).toBe(1);
  });

  it('enableDeadLetter: rejected messages go to dlq-<queue> through dlx-<queue>', async () => {
    const topic = unique('dlq');
    const consumerID = unique('app');
    const queue = `${consumerID}-${topic}`;
    cleanup.queues.push(`dlq-${queue}`);
    cleanup.exchanges.push(`dlx-${queue}`);
    const pubsub = await openPubSub({ consumerID, enableDeadLetter: 'true' });
    const rejected = collect(() => true);
    await pubsub.subscribe({ topic, metadata: {} }, rejected.handler, new AbortController().signal);
    await pubsub.publish(publishRequest(topic, 'to-the-dlq'));
    await waitUntil(async () => (await admin.queue(`dlq-${queue}`))?.messageCount === 1);
    const dead = await admin.channel.get(`dlq-${queue}`, { noAck: true });
    expect(dead === false ? undefined : dead.content.toString()).toBe('to-the-dlq');
  });

  it('publishes properties: content type, delivery mode, TTL (request, then component default), priority, ids', async () => {
    const topic = unique('props');
    const consumerID = unique('app');
    const queue = `${consumerID}-${topic}`;
    cleanup.queues.push(queue);
    cleanup.exchanges.push(topic);
    const pubsub = await openPubSub({ consumerID, deliveryMode: '2', ttlInSeconds: '30', deletedWhenUnused: 'false' });
    // Declare the queue (with a priority) without consuming, then read the raw messages.
    const stop = new AbortController();
    await pubsub.subscribe({ topic, metadata: { maxPriority: '300' } }, async () => {}, stop.signal);
    stop.abort();
    await waitUntil(async () => (await admin.queue(queue))?.consumerCount === 0);
    await pubsub.publish(
      publishRequest(topic, 'a', {
        ttlInSeconds: '5',
        priority: '7',
        messageID: 'm-1',
        correlationID: 'c-1',
        type: 'order',
        contentType: 'application/json',
      }),
    );
    await pubsub.publish(publishRequest(topic, 'b'));
    await waitUntil(async () => (await admin.queue(queue))?.messageCount === 2);
    const first = await admin.channel.get(queue, { noAck: true });
    const second = await admin.channel.get(queue, { noAck: true });
    if (!first || !second) throw new Error('messages missing');
    expect(first.properties).toMatchObject({
      contentType: 'application/json',
      deliveryMode: 2,
      expiration: '5000',
      priority: 7,
      messageId: 'm-1',
      correlationId: 'c-1',
      type: 'order',
    });
    expect(second.properties).toMatchObject({ contentType: 'text/plain', expiration: '30000' });
    // Request metadata is not copied to headers (as contrib).
    expect(second.properties.headers ?? {}).toEqual({});
  });

  it('prefetchCount bounds the handlers in flight; maxLen caps the queue; autoAck never redelivers', async () => {
    const topic = unique('prefetch');
    const pubsub = await openPubSub({ prefetchCount: '2' });
    let running = 0;
    let maxRunning = 0;
    let done = 0;
    await pubsub.subscribe(
      { topic, metadata: {} },
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
        done++;
      },
      new AbortController().signal,
    );
    for (let i = 0; i < 10; i++) await pubsub.publish(publishRequest(topic, `p${i}`));
    await waitUntil(() => done === 10);
    expect(maxRunning).toBe(2);

    const capped = unique('maxlen');
    const consumerID = unique('app');
    const queue = `${consumerID}-${capped}`;
    cleanup.queues.push(queue);
    cleanup.exchanges.push(capped);
    const capping = await openPubSub({ consumerID, maxLen: '3', deletedWhenUnused: 'false' });
    const stop = new AbortController();
    await capping.subscribe({ topic: capped, metadata: {} }, async () => {}, stop.signal);
    stop.abort();
    await waitUntil(async () => (await admin.queue(queue))?.consumerCount === 0);
    for (let i = 0; i < 6; i++) await capping.publish(publishRequest(capped, `m${i}`));
    await waitUntil(async () => (await admin.queue(queue))?.messageCount === 3);

    const auto = await openPubSub({ autoAck: 'true', requeueInFailure: 'true' });
    const autoTopic = unique('autoack');
    const failing = collect(() => true);
    await auto.subscribe({ topic: autoTopic, metadata: {} }, failing.handler, new AbortController().signal);
    await auto.publish(publishRequest(autoTopic, 'once'));
    await waitUntil(() => failing.attempts.get('once') === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(failing.attempts.get('once')).toBe(1);
  });

  it('publishMessagePropertiesToMetadata: properties arrive as metadata.<name>', async () => {
    const topic = unique('meta');
    const pubsub = await openPubSub({ publishMessagePropertiesToMetadata: 'true' });
    const got = collect();
    await pubsub.subscribe({ topic, metadata: {} }, got.handler, new AbortController().signal);
    await pubsub.publish(publishRequest(topic, 'x', { messageID: 'id-9', type: 't' }));
    await waitUntil(() => got.acked.length === 1);
    expect(got.messages[0]!.metadata).toEqual({
      'metadata.messageid': 'id-9',
      'metadata.type': 't',
      'metadata.contenttype': 'text/plain',
    });
  });

  it('routingKey: a topic exchange routes by the subscription keys', async () => {
    const topic = unique('route');
    const pubsub = await openPubSub({ exchangeKind: 'topic' });
    const got = collect();
    await pubsub.subscribe(
      { topic, metadata: { routingKey: 'eu.*,us.ny' } },
      got.handler,
      new AbortController().signal,
    );
    for (const key of ['eu.fr', 'us.ca', 'us.ny'])
      await pubsub.publish(publishRequest(topic, key, { routingKey: key }));
    await waitUntil(() => got.acked.length === 2);
    await new Promise((r) => setTimeout(r, 200));
    expect(got.acked.sort()).toEqual(['eu.fr', 'us.ny']);
  });

  it('a queue declared with other arguments is refused at subscribe (PRECONDITION_FAILED), naming the queue', async () => {
    const topic = unique('mismatch');
    const consumerID = unique('app');
    const first = await openPubSub({ consumerID });
    await first.subscribe({ topic, metadata: {} }, async () => {}, new AbortController().signal);
    const second = await openPubSub({ consumerID, maxLen: '10' });
    await expect(
      second.subscribe({ topic, metadata: {} }, async () => {}, new AbortController().signal),
    ).rejects.toThrow(new RegExp(`failed to subscribe to ${consumerID}-${topic}.*PRECONDITION_FAILED`));
    await expect(
      second.subscribe({ topic, metadata: { queueType: 'stream' } }, async () => {}, new AbortController().signal),
    ).rejects.toThrow(/invalid queue type stream/);
  });

  it.each([
    ['auto-delete queues (held)', 'true'],
    ['kept queues (consumer cancelled)', 'false'],
  ])(
    'pause stops deliveries and resume restarts them, %s; aborting one subscription leaves the others',
    async (_, autoDelete) => {
      const topicA = unique('pa');
      const topicB = unique('pb');
      const consumerID = unique('app');
      cleanup.queues.push(`${consumerID}-${topicA}`, `${consumerID}-${topicB}`);
      cleanup.exchanges.push(topicA, topicB);
      const pubsub = await openPubSub({ consumerID, deletedWhenUnused: autoDelete });
      const a = collect();
      const b = collect();
      const stopA = new AbortController();
      await pubsub.subscribe({ topic: topicA, metadata: {} }, a.handler, stopA.signal);
      await pubsub.subscribe({ topic: topicB, metadata: {} }, b.handler, new AbortController().signal);
      await pubsub.pause();
      await pubsub.publish(publishRequest(topicB, 'while-paused'));
      await new Promise((r) => setTimeout(r, 300));
      expect(b.acked).toEqual([]);
      await pubsub.resume();
      await waitUntil(() => b.acked.length === 1);
      stopA.abort();
      await pubsub.publish(publishRequest(topicB, 'after-abort'));
      await waitUntil(() => b.acked.length === 2);
      expect(a.acked).toEqual([]);
    },
  );

  it('publisherConfirm publishes and waits for the broker', async () => {
    const topic = unique('confirm');
    const pubsub = await openPubSub({ publisherConfirm: 'true' });
    const got = collect();
    await pubsub.subscribe({ topic, metadata: {} }, got.handler, new AbortController().signal);
    await Promise.all(Array.from({ length: 50 }, (_, i) => pubsub.publish(publishRequest(topic, `c${i}`))));
    await waitUntil(() => got.acked.length === 50);
  });

  it('concurrencyMode single hands over one message at a time, in order', async () => {
    const topic = unique('single');
    const pubsub = await openPubSub({ concurrencyMode: 'single' });
    let running = 0;
    let maxRunning = 0;
    const order: string[] = [];
    await pubsub.subscribe(
      { topic, metadata: {} },
      async (message) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 5));
        order.push(text(message));
        running--;
      },
      new AbortController().signal,
    );
    for (let i = 0; i < 10; i++) await pubsub.publish(publishRequest(topic, String(i)));
    await waitUntil(() => order.length === 10);
    expect(maxRunning).toBe(1);
    expect(order).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
  });

  it('consumes again after the broker cancelled the consumer (queue deleted under it)', async () => {
    const topic = unique('cancelled');
    const consumerID = unique('app');
    const pubsub = await openPubSub({ consumerID, durable: 'true', deletedWhenUnused: 'false' });
    cleanup.queues.push(`${consumerID}-${topic}`);
    cleanup.exchanges.push(topic);
    const got = collect();
    await pubsub.subscribe({ topic, metadata: {} }, got.handler, new AbortController().signal);
    await pubsub.publish(publishRequest(topic, 'before'));
    await waitUntil(() => got.acked.length === 1);
    await admin.channel.deleteQueue(`${consumerID}-${topic}`);
    await waitUntil(async () => ((await admin.queue(`${consumerID}-${topic}`))?.consumerCount ?? 0) === 1, 10_000);
    await pubsub.publish(publishRequest(topic, 'after'));
    await waitUntil(() => got.acked.includes('after'), 10_000);
  });

  it('reconnects after the connection drops, re-declares and consumes again; unacked messages come back', async () => {
    const proxy = await startProxy(RABBITMQ_URL);
    try {
      const topic = unique('drop');
      const consumerID = unique('app');
      const pubsub = await openPubSub({
        connectionString: proxy.url,
        consumerID,
        durable: 'true',
        deletedWhenUnused: 'false',
      });
      cleanup.queues.push(`${consumerID}-${topic}`);
      cleanup.exchanges.push(topic);
      let release: () => void = () => {};
      const stuck = new Promise<void>((resolve) => {
        release = resolve;
      });
      const seen: string[] = [];
      await pubsub.subscribe(
        { topic, metadata: {} },
        async (message) => {
          seen.push(text(message));
          if (text(message) === 'in-flight' && seen.filter((t) => t === 'in-flight').length === 1) await stuck;
        },
        new AbortController().signal,
      );
      await pubsub.publish(publishRequest(topic, 'in-flight'));
      await waitUntil(() => seen.length === 1);
      proxy.dropAll(); // the broker requeues the unacknowledged 'in-flight'
      release();
      await waitUntil(() => seen.filter((t) => t === 'in-flight').length === 2, 10_000);
      await pubsub.publish(publishRequest(topic, 'after'));
      await waitUntil(() => seen.includes('after'), 10_000);
      await pubsub.ping();
      await pubsub.close();
    } finally {
      proxy.close();
    }
  });

  it('with publisherConfirm, a publish across a dropped connection is retried and arrives', async () => {
    const proxy = await startProxy(RABBITMQ_URL);
    try {
      const topic = unique('confirm-drop');
      const subscriber = await openPubSub();
      const seen: string[] = [];
      await subscriber.subscribe(
        { topic, metadata: {} },
        async (m) => void seen.push(text(m)),
        new AbortController().signal,
      );
      const publisher = await openPubSub({ connectionString: proxy.url, publisherConfirm: 'true' });
      await publisher.publish(publishRequest(topic, 'before'));
      proxy.dropAll();
      await publisher.publish(publishRequest(topic, 'across-the-drop'));
      await waitUntil(() => seen.includes('across-the-drop'), 15_000);
      expect(seen).toContain('before');
      await publisher.close();
    } finally {
      proxy.close();
    }
  });

  it('init errors name the field and never contain the password', async () => {
    const pubsub = new RabbitMQPubSub();
    const url = RABBITMQ_URL.replace(/:[^:@/]+@/, ':wrong-secret@');
    const error = await pubsub.init(properties({ connectionString: url })).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(error?.message).toMatch(/refused|ACCESS_REFUSED/);
    expect(error?.message).not.toContain('wrong-secret');
    await expect(new RabbitMQPubSub().init(properties({ deliveryMode: '3' }))).rejects.toThrow(/deliveryMode/);
    await expect(new RabbitMQPubSub().init(properties({ exchangeKind: 'x-fancy' }))).rejects.toThrow(/exchangeKind/);
    await expect(new RabbitMQPubSub().init(properties({ protocol: 'amqps' }))).rejects.toThrow(/protocol/);
    await expect(new RabbitMQPubSub().init(properties({ saslExternal: 'true' }))).rejects.toThrow(/saslExternal/);
  });
});

/** A TCP proxy in front of the broker whose connections can be cut, to simulate a network failure. */
async function startProxy(brokerUrl: string) {
  const target = new URL(brokerUrl);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5672), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const url = new URL(brokerUrl);
  url.host = `127.0.0.1:${port}`;
  return {
    url: url.toString(),
    dropAll: () => {
      for (const s of sockets) s.destroy();
    },
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

const describeWithTls = await createDescribeWithRabbitMQTls();

describeWithTls('pubsub.rabbitmq over TLS', () => {
  afterEach(() => closeAll());

  it('amqps + saslExternal: the client certificate from caCert/clientCert/clientKey authenticates', async () => {
    const url = new URL(RABBITMQ_TLS_URL);
    url.username = '';
    url.password = '';
    const pubsub = await openPubSub({ connectionString: url.toString(), saslExternal: 'true', ...testTlsMaterial() });
    const topic = unique('tls');
    const seen: string[] = [];
    await pubsub.subscribe({ topic, metadata: {} }, async (m) => void seen.push(text(m)), new AbortController().signal);
    await pubsub.publish(publishRequest(topic, 'over-tls'));
    await waitUntil(() => seen.length === 1);
    // Without the CA the broker's certificate (from the test CA) is refused.
    await expect(openPubSub({ connectionString: RABBITMQ_TLS_URL })).rejects.toThrow(/certificate/i);
  });
});
