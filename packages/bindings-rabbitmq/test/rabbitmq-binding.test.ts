/** bindings.rabbitmq against the real broker: the queue declaration, published properties, input delivery. */

import { randomUUID } from 'node:crypto';
import type { BindingEvent, Metadata } from '@daprkit/component-sdk';
import { waitFor } from '@daprkit/component-sdk/testing';
import {
  createDescribeWithRabbitMQ,
  createDescribeWithRabbitMQTls,
  RABBITMQ_TLS_URL,
  RABBITMQ_URL,
  RabbitAdmin,
  testTlsMaterial,
} from '@daprkit/rabbitmq-common/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRabbitBindingSettings, queryEscape, RabbitMQInputBinding, RabbitMQOutputBinding } from '../src/index.js';

const describeWithRabbitMQ = await createDescribeWithRabbitMQ();
const until = (condition: () => boolean | Promise<boolean>, ms = 10_000) =>
  waitFor(condition, ms, `a condition (${ms} ms)`, { intervalMs: 20 });

describe('bindings.rabbitmq metadata', () => {
  it("has contrib's required fields, defaults and queue arguments", () => {
    expect(() => parseRabbitBindingSettings({ queueName: 'q' })).toThrow('missing host address');
    expect(() => parseRabbitBindingSettings({ host: 'amqp://h' })).toThrow('missing queue Name');
    const s = parseRabbitBindingSettings({ host: 'amqp://h', queueName: 'q' });
    expect(s).toMatchObject({
      durable: false,
      autoDelete: false,
      exclusive: false,
      prefetchCount: 0,
      reconnectWaitMs: 5000,
      queueArguments: {},
    });
    expect(
      parseRabbitBindingSettings({ host: 'amqp://h', queueName: 'q', maxPriority: '300', ttlInSeconds: '60' })
        .queueArguments,
    ).toEqual({ 'x-max-priority': 255, 'x-message-ttl': 60_000 });
    expect(parseRabbitBindingSettings({ host: 'amqp://h', queueName: 'q', ttl: '1500ms' }).queueArguments).toEqual({
      'x-message-ttl': 1500,
    });
    expect(() => parseRabbitBindingSettings({ host: 'amqp://h', queueName: 'q', externalSasl: 'true' })).toThrow(
      /externalSasl/,
    );
    expect(() => parseRabbitBindingSettings({ host: 'amqp://h', queueName: 'q', saslExternal: 'true' })).toThrow(
      /externalSasl/,
    );
  });

  it("escapes header names as Go's url.QueryEscape", () => {
    expect(queryEscape("a b/c!'()*~._-")).toBe('a+b%2Fc%21%27%28%29%2A~._-');
  });
});

describeWithRabbitMQ('bindings.rabbitmq against RabbitMQ', () => {
  let admin: RabbitAdmin;
  const queues: string[] = [];
  const opened: { close(): Promise<void> }[] = [];
  const props = (extra: Metadata = {}): Metadata => {
    const queueName = `daprkit-test-binding-${randomUUID().slice(0, 8)}`;
    queues.push(queueName);
    return { host: RABBITMQ_URL, queueName, reconnectWaitInSeconds: '200ms', ...extra };
  };
  async function output(p: Metadata) {
    const b = new RabbitMQOutputBinding();
    await b.init(p);
    opened.push(b);
    return b;
  }
  async function input(p: Metadata, handler: (e: BindingEvent) => Promise<Uint8Array | undefined>) {
    const b = new RabbitMQInputBinding();
    await b.init(p);
    opened.push(b);
    const stop = new AbortController();
    await b.read(handler, stop.signal);
    return { binding: b, stop };
  }

  beforeAll(async () => {
    admin = await RabbitAdmin.open();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    await admin.remove({ queues });
    await admin.close();
  });

  it('create publishes to the queue: persistent, text/plain, metadata as headers, ttl and priority', async () => {
    const p = props({ maxPriority: '5', durable: 'true' });
    const out = await output(p);
    expect(out.operations()).toEqual(['create']);
    await out.invoke({
      operation: 'create',
      data: Buffer.from('payload'),
      metadata: { ttlInSeconds: '30', priority: '3', messageID: 'm1', custom: 'v', 'with space': 'x' },
    });
    await out.invoke({
      operation: 'anything',
      data: Buffer.from('second'),
      metadata: { contentType: 'application/json' },
    });
    await until(async () => (await admin.queue(p.queueName!))?.messageCount === 2);
    const first = await admin.channel.get(p.queueName!, { noAck: true });
    const second = await admin.channel.get(p.queueName!, { noAck: true });
    if (!first || !second) throw new Error('messages missing');
    expect(first.content.toString()).toBe('payload');
    expect(first.properties).toMatchObject({
      deliveryMode: 2,
      contentType: 'text/plain',
      expiration: '30000',
      priority: 3,
      messageId: 'm1',
    });
    expect(first.properties.headers).toMatchObject({ custom: 'v', 'with space': 'x', ttlInSeconds: '30' });
    expect(second.properties.contentType).toBe('application/json');
  });

  it('read delivers one at a time with string headers as metadata (names query-escaped); a failure is redelivered', async () => {
    const p = props();
    const events: string[] = [];
    const attempts = new Map<string, number>();
    let metadata: Metadata = {};
    await input(p, async (event) => {
      const body = Buffer.from(event.data).toString();
      const attempt = (attempts.get(body) ?? 0) + 1;
      attempts.set(body, attempt);
      if (body === 'flaky' && attempt < 3) throw new Error('not yet');
      events.push(body);
      if (body === 'first') metadata = event.metadata;
      return undefined;
    });
    const out = await output(p);
    await out.invoke({ operation: 'create', data: Buffer.from('first'), metadata: { 'a b': 'c' } });
    await out.invoke({ operation: 'create', data: Buffer.from('flaky'), metadata: {} });
    await out.invoke({ operation: 'create', data: Buffer.from('last'), metadata: {} });
    await until(() => events.length === 3);
    // A requeued message goes back to the queue; what was already prefetched comes first.
    expect(events[0]).toBe('first');
    expect([...events].sort()).toEqual(['first', 'flaky', 'last']);
    expect(attempts.get('flaky')).toBe(3);
    expect(metadata).toEqual({ 'a+b': 'c' });
  });

  it('declares the queue as contrib: a second declaration with other arguments fails init (PRECONDITION_FAILED)', async () => {
    const p = props({ maxPriority: '5' });
    await output(p);
    await expect(new RabbitMQOutputBinding().init({ ...p, maxPriority: '6' })).rejects.toThrow(/PRECONDITION_FAILED/);
  });

  it('invoke before init or after close is refused', async () => {
    await expect(
      new RabbitMQOutputBinding().invoke({ operation: 'create', data: Buffer.from('x'), metadata: {} }),
    ).rejects.toThrow(/not initialised/);
    const out = await output(props());
    await out.close();
    await expect(out.invoke({ operation: 'create', data: Buffer.from('x'), metadata: {} })).rejects.toThrow(/closed/);
  });
});

const describeWithTls = await createDescribeWithRabbitMQTls();

describeWithTls('bindings.rabbitmq over TLS', () => {
  it('amqps + externalSasl with the three PEM fields: create and read', async () => {
    const url = new URL(RABBITMQ_TLS_URL);
    url.username = '';
    url.password = '';
    const queueName = `daprkit-test-binding-tls-${randomUUID().slice(0, 8)}`;
    const p = { host: url.toString(), queueName, deleteWhenUnused: 'true', externalSasl: 'true', ...testTlsMaterial() };
    const input = new RabbitMQInputBinding();
    const output = new RabbitMQOutputBinding();
    await input.init(p);
    await output.init(p);
    try {
      const got: string[] = [];
      await input.read(async (e) => {
        got.push(Buffer.from(e.data).toString());
        return undefined;
      }, new AbortController().signal);
      await output.invoke({ operation: 'create', data: Buffer.from('tls-event'), metadata: {} });
      await until(() => got.length === 1);
      expect(got).toEqual(['tls-event']);
    } finally {
      await output.close();
      await input.close();
    }
  });
});
