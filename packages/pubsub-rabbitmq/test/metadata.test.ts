import { describe, expect, it } from 'vitest';
import { parseRabbitPubSubSettings, queueDeclaration, queueNameOf } from '../src/index.js';

describe('pubsub.rabbitmq metadata', () => {
  it("uses contrib's code defaults (durable and auto-delete true, fanout, parallel, 3 s reconnect, 10 s heartbeat)", () => {
    const s = parseRabbitPubSubSettings({ consumerID: 'app' });
    expect(s).toMatchObject({
      consumerId: 'app',
      durable: true,
      autoDelete: true,
      autoAck: false,
      requeueInFailure: false,
      deliveryMode: 0,
      prefetchCount: 0,
      reconnectWaitMs: 3000,
      exchangeKind: 'fanout',
      enableDeadLetter: false,
      publisherConfirm: false,
      single: false,
      defaultTtlMs: undefined,
    });
    expect(s.endpoint).toMatchObject({ url: 'amqp://localhost', heartbeatSeconds: 10 });
  });

  it('builds the URI from hostname/username/password, or takes connectionString (legacy host when empty)', () => {
    expect(
      parseRabbitPubSubSettings({ hostname: 'mq:5673', username: 'u s', password: 'p@ss', protocol: 'amqps' }).endpoint
        .url,
    ).toBe('amqps://u%20s:p%40ss@mq:5673');
    expect(parseRabbitPubSubSettings({ host: 'amqp://a:b@h/v' }).endpoint.url).toBe('amqp://a:b@h/v');
    expect(parseRabbitPubSubSettings({ connectionString: 'amqp://c@h', host: 'amqp://ignored' }).endpoint.url).toBe(
      'amqp://c@h',
    );
  });

  it('rejects what contrib rejects, naming the field and hiding secrets', () => {
    expect(() => parseRabbitPubSubSettings({ connectionString: 'amqp://h', protocol: 'amqps' })).toThrow(/protocol/);
    expect(() => parseRabbitPubSubSettings({ connectionString: 'http://u:secret@h' })).toThrow(/connectionString/);
    expect(() => parseRabbitPubSubSettings({ connectionString: 'http://u:secret@h' })).not.toThrow(/secret/);
    expect(() => parseRabbitPubSubSettings({ deliveryMode: '3' })).toThrow(/deliveryMode/);
    expect(() => parseRabbitPubSubSettings({ exchangeKind: 'x-consistent-hash' })).toThrow(/exchangeKind/);
    expect(() => parseRabbitPubSubSettings({ saslExternal: 'true' })).toThrow(/saslExternal/);
    expect(() => parseRabbitPubSubSettings({ ttlInSeconds: '-1' })).toThrow(/higher than zero/);
    expect(() => parseRabbitPubSubSettings({ clientKey: 'not a key', clientCert: 'x' })).toThrow(
      /clientCert|clientKey/,
    );
  });

  it('reads ttl/ttlInSeconds as a duration or seconds, concurrencyMode, reconnectWaitSeconds as seconds', () => {
    expect(parseRabbitPubSubSettings({ ttlInSeconds: '60' }).defaultTtlMs).toBe(60_000);
    expect(parseRabbitPubSubSettings({ ttl: '1m30s' }).defaultTtlMs).toBe(90_000);
    expect(parseRabbitPubSubSettings({ concurrencyMode: 'single' }).single).toBe(true);
    // contrib reads `concurrency` but overwrites it: no effect.
    expect(parseRabbitPubSubSettings({ concurrency: 'single' }).single).toBe(false);
    expect(parseRabbitPubSubSettings({ reconnectWaitSeconds: '7' }).reconnectWaitMs).toBe(7000);
  });
});

describe('pubsub.rabbitmq topology', () => {
  const settings = {
    durable: true,
    autoDelete: true,
    maxLen: undefined,
    maxLenBytes: undefined,
    enableDeadLetter: false,
  };

  it('names the queue <consumerID>-<topic> unless the subscription gives queueName', () => {
    expect(queueNameOf('orders', {}, 'app')).toBe('app-orders');
    expect(queueNameOf('orders', { queueName: 'mine' }, undefined)).toBe('mine');
    expect(() => queueNameOf('orders', {}, undefined)).toThrow(/consumerID is required/);
  });

  it('always sends x-queue-type, lets the subscription override maxLen, clamps maxPriority, adds the dead-letter pair', () => {
    expect(queueDeclaration('q', {}, settings)).toEqual({
      name: 'q',
      durable: true,
      autoDelete: true,
      arguments: { 'x-queue-type': 'classic' },
      routingKeys: [''],
      deadLetter: undefined,
    });
    const d = queueDeclaration(
      'q',
      { queueType: 'quorum', maxPriority: '999', singleActiveConsumer: 'true', maxLen: '5', routingKey: 'a,b' },
      { ...settings, maxLen: 100, maxLenBytes: 2048, enableDeadLetter: true },
    );
    expect(d.arguments).toEqual({
      'x-dead-letter-exchange': 'dlx-q',
      'x-max-length': 5,
      'x-max-length-bytes': 2048,
      'x-max-priority': 255,
      'x-queue-type': 'quorum',
      'x-single-active-consumer': true,
    });
    expect(d.deadLetter).toEqual({
      exchange: 'dlx-q',
      queue: 'dlq-q',
      arguments: { 'x-max-length': 100, 'x-max-length-bytes': 2048, 'x-queue-mode': 'lazy' },
    });
    expect(d.routingKeys).toEqual(['a', 'b']);
    expect(() => queueDeclaration('q', { queueType: 'stream' }, settings)).toThrow(/invalid queue type stream/);
    expect(() => queueDeclaration('q', { maxLen: '-1' }, settings)).toThrow(/maxLen/);
  });
});
