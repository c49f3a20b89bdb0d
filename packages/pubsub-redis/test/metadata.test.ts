import { readFileSync } from 'node:fs';
import { InvalidMetadataError, type Logger } from '@daprkit/component-sdk';
import { redisConnectionMetadataSchema } from '@daprkit/redis-common';
import { describe, expect, it } from 'vitest';
import { definitions, redisStreamsPubSubMetadataSchema, VERSION } from '../src/index.js';
import { parseRedisStreamsSettings } from '../src/metadata.js';
import { entriesOfRead, toMessage, xaddArguments } from '../src/stream-entries.js';
import { nackRetryDelayMs } from '../src/subscription.js';

const base = { redisHost: 'redis.local', consumerID: 'app' };

function metadataError(properties: Record<string, string>): InvalidMetadataError {
  try {
    parseRedisStreamsSettings(properties);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidMetadataError);
    return err as InvalidMetadataError;
  }
  throw new Error('expected an InvalidMetadataError');
}

describe('metadata', () => {
  it("uses contrib's code defaults: processingTimeout 60 s, redeliverInterval 15 s, queueDepth 100, concurrency 10", () => {
    expect(parseRedisStreamsSettings(base)).toMatchObject({
      consumerId: 'app',
      processingTimeoutMs: 60_000,
      redeliverIntervalMs: 15_000,
      queueDepth: 100,
      concurrency: 10,
      trim: undefined,
      conflictingTrims: false,
    });
  });

  it('accepts Go durations and bare milliseconds for both redelivery settings (contrib ignores `1s` here)', () => {
    expect(parseRedisStreamsSettings({ ...base, processingTimeout: '2s', redeliverInterval: '1s' })).toMatchObject({
      processingTimeoutMs: 2000,
      redeliverIntervalMs: 1000,
    });
    expect(parseRedisStreamsSettings({ ...base, processingTimeout: '1500', redeliverInterval: '250' })).toMatchObject({
      processingTimeoutMs: 1500,
      redeliverIntervalMs: 250,
    });
    expect(parseRedisStreamsSettings({ ...base, processingTimeout: '0', redeliverInterval: '0s' })).toMatchObject({
      processingTimeoutMs: 0,
      redeliverIntervalMs: 0,
    });
  });

  it('names the field of every malformed value', () => {
    expect(metadataError({ ...base, processingTimeout: 'soon' }).field).toBe('processingTimeout');
    expect(metadataError({ ...base, redeliverInterval: '-1s' }).field).toBe('redeliverInterval');
    expect(metadataError({ ...base, queueDepth: '0' }).field).toBe('queueDepth');
    expect(metadataError({ ...base, concurrency: 'many' }).field).toBe('concurrency');
    expect(metadataError({ ...base, maxLenApprox: '-5' }).field).toBe('maxLenApprox');
    expect(metadataError({ ...base, streamTTL: 'forever' }).field).toBe('streamTTL');
    expect(metadataError({ consumerID: 'app' }).field).toBe('redisHost');
  });

  it('reads connection settings from @daprkit/redis-common, with its 8 ms minimum backoff', () => {
    expect(parseRedisStreamsSettings({ ...base, redisDB: '4', readTimeout: '1s' }).connection).toMatchObject({
      host: 'redis.local',
      port: 6379,
      db: 4,
      readTimeoutMs: 1000,
      minRetryIntervalMs: 8,
    });
  });

  it('trims by maxLenApprox, else by streamTTL, and flags the combination', () => {
    expect(parseRedisStreamsSettings({ ...base, maxLenApprox: '1000' }).trim).toEqual({ kind: 'maxlen', count: 1000 });
    expect(parseRedisStreamsSettings({ ...base, streamTTL: '1h' }).trim).toEqual({ kind: 'minid', ttlMs: 3_600_000 });
    expect(parseRedisStreamsSettings({ ...base, streamTTL: '500' }).trim).toEqual({ kind: 'minid', ttlMs: 500 });
    expect(parseRedisStreamsSettings({ ...base, maxLenApprox: '0' }).trim).toBeUndefined();
    expect(parseRedisStreamsSettings({ ...base, maxLenApprox: '10', streamTTL: '1m' })).toMatchObject({
      trim: { kind: 'maxlen', count: 10 },
      conflictingTrims: true,
    });
  });

  it('leaves consumerID optional at init (publishing does not need it)', () => {
    expect(parseRedisStreamsSettings({ redisHost: 'h' }).consumerId).toBeUndefined();
  });

  it('documents every field in the schema, connection fields included', () => {
    expect(Object.keys(redisStreamsPubSubMetadataSchema)).toEqual(
      expect.arrayContaining(Object.keys(redisConnectionMetadataSchema)),
    );
    for (const [name, f] of Object.entries(redisStreamsPubSubMetadataSchema))
      expect(f.options.description, name).toBeTruthy();
  });
});

describe('stream layout', () => {
  it("writes contrib's XADD: trim option, `*`, data bytes, and metadata JSON only when there is metadata", () => {
    const data = new Uint8Array([0xff, 0x00, 0x41]);
    expect(xaddArguments('orders', data, {}, undefined)).toEqual(['orders', '*', 'data', Buffer.from(data)]);
    expect(xaddArguments('orders', data, { k: 'v' }, { kind: 'maxlen', count: 5 })).toEqual([
      'orders',
      'MAXLEN',
      '~',
      5,
      '*',
      'data',
      Buffer.from(data),
      'metadata',
      '{"k":"v"}',
    ]);
    expect(xaddArguments('orders', data, {}, { kind: 'minid', ttlMs: 1000 }, 1_700_000_000_000)).toEqual([
      'orders',
      'MINID',
      '~',
      '1699999999000-1',
      '*',
      'data',
      Buffer.from(data),
    ]);
  });

  it('reads XREADGROUP replies in both RESP2 and flattened RESP3 shape, and a timeout as nothing', () => {
    const entries = [[Buffer.from('1-0'), [Buffer.from('data'), Buffer.from('x')]]];
    const expected = [{ id: '1-0', fields: [Buffer.from('data'), Buffer.from('x')] }];
    expect(entriesOfRead([[Buffer.from('t'), entries]])).toEqual(expected);
    expect(entriesOfRead([Buffer.from('t'), entries])).toEqual(expected);
    expect(entriesOfRead(null)).toEqual([]);
  });

  it('reads data and metadata back, and delivers the payload even when the metadata is not JSON', () => {
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn: (m) => warnings.push(m), error() {} };
    const fields = [Buffer.from('data'), Buffer.from('x'), Buffer.from('metadata'), Buffer.from('{"n":1,"s":"t"}')];
    expect(toMessage({ id: '1-0', fields }, 't', logger)).toEqual({
      data: Buffer.from('x'),
      topic: 't',
      metadata: { n: '1', s: 't' },
    });
    const garbled = [Buffer.from('data'), Buffer.from('y'), Buffer.from('metadata'), Buffer.from('not json')];
    expect(toMessage({ id: '2-0', fields: garbled }, 't', logger)).toEqual({
      data: Buffer.from('y'),
      topic: 't',
      metadata: {},
    });
    expect(warnings).toHaveLength(1);
  });
});

describe('nack backoff', () => {
  it('doubles from 100 ms up to 5 s, and stays below half the processingTimeout', () => {
    expect([1, 2, 3, 4, 7, 20].map((n) => nackRetryDelayMs(n, 60_000))).toEqual([100, 200, 400, 800, 5000, 5000]);
    expect([1, 2, 3, 4, 5].map((n) => nackRetryDelayMs(n, 1000))).toEqual([100, 200, 400, 500, 500]);
    expect(nackRetryDelayMs(10, 0)).toBe(5000);
  });
});

describe('package', () => {
  it('keeps VERSION in step with package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });

  it('defines pubsub.redis served on the daprkit-redis socket (shared with @daprkit/state-redis)', () => {
    expect(definitions).toHaveLength(1);
    expect(definitions[0]).toMatchObject({
      kind: 'pubsub',
      socketName: 'daprkit-redis',
      types: ['pubsub.redis'],
      packageName: '@daprkit/pubsub-redis',
      version: VERSION,
    });
  });
});
