// PullMessages (§6.5) and Read (§7.3) over a real socket: delivery, acks, negative acks, cancellation.

import {
  type BindingEventHandler,
  defineComponent,
  type InputBinding,
  type MessageHandler,
  type PubSub,
  type PubSubMessage,
  type SubscribeRequest,
} from '@daprkit/component-sdk';
import { createTestClient, startTestServer, type TestServer } from '@daprkit/component-sdk/testing';
import { Client, type ClientDuplexStream, credentials, Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { methodDefinition, ServiceName } from '../src/server/proto.js';

type Outcome = { data: string; result: 'acked' } | { data: string; result: 'rejected'; error: string };

/** Delivers published messages to the subscribers of their topic and records how each delivery ended. */
class FakePubSub implements PubSub {
  static last: FakePubSub;
  readonly subscriptions: { request: SubscribeRequest; handler: MessageHandler; signal: AbortSignal }[] = [];
  readonly outcomes: Outcome[] = [];
  paused = 0;
  constructor() {
    FakePubSub.last = this;
  }
  async init() {}
  features() {
    return [];
  }
  async publish(request: { topic: string; data: Uint8Array; metadata: Record<string, string>; contentType?: string }) {
    for (const s of this.subscriptions.filter((s) => s.request.topic === request.topic && !s.signal.aborted)) {
      this.deliver(s.handler, {
        data: request.data,
        topic: request.topic,
        metadata: request.metadata,
        contentType: 'text/plain',
      });
    }
  }
  /** Fire-and-forget, like a broker client: the outcome is recorded when the handler settles. */
  deliver(handler: MessageHandler, message: PubSubMessage) {
    const data = Buffer.from(message.data).toString();
    handler(message).then(
      () => this.outcomes.push({ data, result: 'acked' }),
      (err: Error) => this.outcomes.push({ data, result: 'rejected', error: err.message }),
    );
  }
  async subscribe(request: SubscribeRequest, handler: MessageHandler, signal: AbortSignal) {
    if (request.topic === 'forbidden') throw new Error('topic not allowed');
    this.subscriptions.push({ request, handler, signal });
  }
  async pause() {
    this.paused++;
  }
}

/** Lets the test push events and see how each reply settled. */
class FakeInput implements InputBinding {
  static last: FakeInput;
  handler: BindingEventHandler | undefined;
  signal: AbortSignal | undefined;
  constructor() {
    FakeInput.last = this;
  }
  async init() {}
  async read(handler: BindingEventHandler, signal: AbortSignal) {
    this.handler = handler;
    this.signal = signal;
  }
  emit(data: string) {
    return this.handler!({ data: Buffer.from(data), metadata: { n: data } }).then(
      (reply) => ({ ok: true as const, reply: Buffer.from(reply ?? []).toString() }),
      (err: Error) => ({ ok: false as const, error: err.message }),
    );
  }
}

const definitions = [
  defineComponent({
    kind: 'pubsub',
    socketName: 'streams',
    types: [],
    packageName: 'test',
    version: '0',
    create: () => new FakePubSub(),
  }),
  defineComponent({
    kind: 'inputBinding',
    socketName: 'streams',
    types: [],
    packageName: 'test',
    version: '0',
    create: () => new FakeInput(),
  }),
];

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(definitions);
});
afterAll(async () => {
  await server.close();
});

const text = (data: Uint8Array) => Buffer.from(data).toString();

describe('PullMessages', () => {
  it('sends the topic first, delivers with ids, and the component sees acks and negative acks', async () => {
    const client = createTestClient(server.socketPath());
    const pubsub = client.pubsub('orders');
    await pubsub.init({ consumerID: 'app' });
    const seen: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const controller = new AbortController();
    await pubsub.subscribe(
      { topic: 'orders', metadata: { rawPayload: 'true' } },
      async (message) => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        seen.push(`${message.topic}:${text(message.data)}:${message.contentType}`);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        if (text(message.data) === 'bad') throw new Error('app said retry');
      },
      controller.signal,
    );
    const fake = FakePubSub.last;
    await vi.waitFor(() => expect(fake.subscriptions).toHaveLength(1));
    expect(fake.subscriptions[0]!.request).toEqual({ topic: 'orders', metadata: { rawPayload: 'true' } });
    for (const data of ['m1', 'bad', 'm3']) {
      await pubsub.publish({ data: Buffer.from(data), pubsubName: 'orders', topic: 'orders', metadata: {} });
    }
    await vi.waitFor(() => expect(fake.outcomes).toHaveLength(3));
    expect(seen).toEqual(['orders:m1:text/plain', 'orders:bad:text/plain', 'orders:m3:text/plain']);
    expect(maxInFlight).toBe(1); // the client handles one message at a time, like daprd
    expect(fake.outcomes).toEqual([
      { data: 'm1', result: 'acked' },
      { data: 'bad', result: 'rejected', error: 'app said retry' },
      { data: 'm3', result: 'acked' },
    ]);
    controller.abort();
    await vi.waitFor(() => expect(fake.subscriptions[0]!.signal.aborted).toBe(true));
    await client.close();
  });

  it('cancelling the stream aborts the signal and rejects unacknowledged messages', async () => {
    const client = createTestClient(server.socketPath());
    const pubsub = client.pubsub('cancel');
    await pubsub.init({});
    const controller = new AbortController();
    let handlerStarted = false;
    await pubsub.subscribe(
      { topic: 't', metadata: {} },
      () => {
        handlerStarted = true;
        return new Promise<void>(() => {}); // the app never finishes
      },
      controller.signal,
    );
    const fake = FakePubSub.last;
    await vi.waitFor(() => expect(fake.subscriptions).toHaveLength(1));
    await pubsub.publish({ data: Buffer.from('stuck'), pubsubName: 'p', topic: 't', metadata: {} });
    await pubsub.publish({ data: Buffer.from('queued'), pubsubName: 'p', topic: 't', metadata: {} });
    await vi.waitFor(() => expect(handlerStarted).toBe(true));
    expect(fake.outcomes).toEqual([]);
    controller.abort();
    await vi.waitFor(() => expect(fake.outcomes).toHaveLength(2));
    expect(fake.subscriptions[0]!.signal.aborted).toBe(true);
    expect(fake.outcomes.map((o) => o.result)).toEqual(['rejected', 'rejected']);
    expect(fake.outcomes[0]).toMatchObject({
      error: expect.stringMatching(/^PullMessages stream .* before the message was acknowledged$/),
    });
    await client.close();
  });

  it('on the raw wire: ack_error present with an empty message is a negative ack; unknown ids are ignored', async () => {
    const control = createTestClient(server.socketPath()).pubsub('raw');
    await control.init({});
    const definition = methodDefinition<object, { id: string; topicName: string; data: Uint8Array }>(
      ServiceName.PubSub,
      'PullMessages',
    );
    const raw = new Client(`unix:${server.socketPath()}`, credentials.createInsecure());
    const metadata = new Metadata();
    metadata.set('x-component-instance', 'raw');
    const call = raw.makeBidiStreamRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      metadata,
    );
    const received: { id: string; topicName: string; data: Uint8Array }[] = [];
    call.on('data', (m) => received.push(m));
    call.on('error', () => {});
    call.write({ topic: { name: 'raw-topic', metadata: {} } });
    const fake = FakePubSub.last;
    await vi.waitFor(() => expect(fake.subscriptions).toHaveLength(1));
    await control.publish({ data: Buffer.from('a'), pubsubName: 'p', topic: 'raw-topic', metadata: {} });
    await control.publish({ data: Buffer.from('b'), pubsubName: 'p', topic: 'raw-topic', metadata: {} });
    await vi.waitFor(() => expect(received).toHaveLength(2));
    expect(received.map((m) => m.topicName)).toEqual(['raw-topic', 'raw-topic']);
    expect(new Set(received.map((m) => m.id)).size).toBe(2);
    call.write({ ackMessageId: 'no-such-id' });
    call.write({ ackMessageId: received[0]!.id, ackError: { message: '' } });
    call.write({ ackMessageId: received[1]!.id });
    call.write({ ackMessageId: received[1]!.id }); // a duplicate ack is ignored too
    await vi.waitFor(() => expect(fake.outcomes).toHaveLength(2));
    expect(fake.outcomes).toEqual([
      { data: 'a', result: 'rejected', error: 'negative acknowledgement' },
      { data: 'b', result: 'acked' },
    ]);
    call.cancel();
    raw.close();
    await control.close();
  });

  it('a subscribe() that throws ends that stream with its status; thousands of messages flow through one stream', async () => {
    const client = createTestClient(server.socketPath());
    const pubsub = client.pubsub('bulk');
    await pubsub.init({});
    const raw = new Client(`unix:${server.socketPath()}`, credentials.createInsecure());
    const definition = methodDefinition<object, unknown>(ServiceName.PubSub, 'PullMessages');
    const metadata = new Metadata();
    metadata.set('x-component-instance', 'bulk');
    const rejected: ClientDuplexStream<object, unknown> = raw.makeBidiStreamRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      metadata,
    );
    const status = new Promise<{ code: number; details: string }>((resolve) => rejected.on('error', resolve));
    rejected.write({ topic: { name: 'forbidden' } });
    expect(await status).toMatchObject({ code: 2, details: 'topic not allowed' });
    raw.close();

    const count = 3000;
    const received: string[] = [];
    const controller = new AbortController();
    await pubsub.subscribe(
      { topic: 'many', metadata: {} },
      async (m) => void received.push(text(m.data)),
      controller.signal,
    );
    const fake = FakePubSub.last;
    await vi.waitFor(() => expect(fake.subscriptions).toHaveLength(1));
    const { handler } = fake.subscriptions[0]!;
    for (let i = 0; i < count; i++)
      fake.deliver(handler, { data: Buffer.from(String(i)), topic: 'many', metadata: {} });
    await vi.waitFor(() => expect(fake.outcomes).toHaveLength(count), { timeout: 30_000 });
    expect(fake.outcomes.every((o) => o.result === 'acked')).toBe(true);
    expect(received).toEqual(Array.from({ length: count }, (_, i) => String(i)));
    controller.abort();
    await client.close();
  });

  it('Pause reaches the component', async () => {
    const client = createTestClient(server.socketPath());
    const pubsub = client.pubsub('pause');
    await pubsub.init({});
    await pubsub.pause!();
    await pubsub.pause!();
    expect(FakePubSub.last.paused).toBe(2);
    await expect(pubsub.resume!()).rejects.toMatchObject({ code: 12 });
    await client.close();
  });
});

describe('Read', () => {
  it('needs no initial message, and matches replies arriving in any order by message id', async () => {
    const client = createTestClient(server.socketPath());
    const input = client.inputBinding('events');
    await input.init({});
    const controller = new AbortController();
    const delays: Record<string, number> = { e1: 60, e2: 5, e3: 30 };
    await input.read(async (event) => {
      const name = text(event.data);
      await new Promise((r) => setTimeout(r, delays[name]));
      if (name === 'e3') throw new Error('app failed e3');
      return Buffer.from(`reply-${name}-${event.metadata.n}`);
    }, controller.signal);
    const fake = FakeInput.last;
    await vi.waitFor(() => expect(fake.handler).toBeDefined());
    const order: string[] = [];
    const results = await Promise.all(
      ['e1', 'e2', 'e3'].map((name) =>
        fake.emit(name).then((r) => {
          order.push(name);
          return r;
        }),
      ),
    );
    expect(order).toEqual(['e2', 'e3', 'e1']);
    expect(results).toEqual([
      { ok: true, reply: 'reply-e1-e1' },
      { ok: true, reply: 'reply-e2-e2' },
      { ok: false, error: 'app failed e3' },
    ]);
    controller.abort();
    await vi.waitFor(() => expect(fake.signal!.aborted).toBe(true));
    await expect(fake.emit('late')).resolves.toMatchObject({
      ok: false,
      error: expect.stringMatching(/Read stream is closed/),
    });
    await client.close();
  });
});
