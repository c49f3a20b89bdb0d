import { readFileSync } from 'node:fs';
import {
  ErrorCode,
  FailedPreconditionError,
  InvalidArgumentError,
  InvalidMetadataError,
  UnavailableError,
} from '@daprkit/component-sdk';
import {
  COMMIT_INTERVAL_MS,
  hashPartition,
  type Member,
  metadataOf,
  OffsetCommitter,
  PartitionOutOfRangeError,
  queryEscape,
  type RetryPolicy,
  rangeAssignment,
  recordOf,
  redeliveryDelayMs,
  roundRobinAssignment,
  saramaHashPartitioner,
  toPublishError,
} from '@daprkit/kafka-common';
import kafkajs, { type KafkaMessage } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { definitions, KafkaPubSub, VERSION } from '../src/index.js';

const policy: RetryPolicy = {
  policy: 'constant',
  durationMs: 5000,
  initialIntervalMs: 500,
  randomizationFactor: 0.5,
  multiplier: 1.5,
  maxIntervalMs: 60_000,
  maxElapsedMs: 900_000,
  maxRetries: -1,
};

describe('redelivery policy (dapr/kit semantics)', () => {
  it('constant: the same wait forever by default, bounded by maxRetries', () => {
    expect(redeliveryDelayMs(policy, 1, 0)).toBe(5000);
    expect(redeliveryDelayMs(policy, 10_000, 10 ** 9)).toBe(5000);
    expect(redeliveryDelayMs({ ...policy, maxRetries: 2 }, 2, 0)).toBe(5000);
    expect(redeliveryDelayMs({ ...policy, maxRetries: 2 }, 3, 0)).toBeUndefined();
    expect(redeliveryDelayMs({ ...policy, maxRetries: 0 }, 1, 0)).toBeUndefined();
  });

  it('exponential: grows by the multiplier with jitter, capped, and stops after maxElapsedTime', () => {
    const exponential = { ...policy, policy: 'exponential' as const };
    expect(redeliveryDelayMs(exponential, 1, 0, () => 0.5)).toBe(500);
    expect(redeliveryDelayMs(exponential, 3, 0, () => 0.5)).toBe(1125);
    expect(redeliveryDelayMs(exponential, 1, 0, () => 0)).toBe(250);
    expect(redeliveryDelayMs(exponential, 1, 0, () => 1)).toBe(750);
    expect(redeliveryDelayMs(exponential, 50, 0, () => 0.5)).toBe(60_000);
    expect(redeliveryDelayMs(exponential, 2, 900_000)).toBeUndefined();
    expect(redeliveryDelayMs({ ...exponential, maxElapsedMs: 0 }, 2, 10 ** 9, () => 0.5)).toBe(750);
  });
});

describe('partition assignors', () => {
  const member = (id: string, ...topics: string[]): Member => ({ id, topics: new Set(topics) });
  const partitions = (counts: Record<string, number>) => (topic: string) =>
    Array.from({ length: counts[topic] ?? 0 }, (_, i) => i);

  it('range gives contiguous blocks per topic, extras to the first members, only to subscribers', () => {
    const members = [member('a', 't1', 't2'), member('b', 't1'), member('c', 't1', 't2')];
    const result = rangeAssignment(members, partitions({ t1: 5, t2: 3 }), ['t1', 't2']);
    expect(Object.fromEntries(result)).toEqual({
      a: { t1: [0, 1], t2: [0, 1] },
      b: { t1: [2, 3] },
      c: { t1: [4], t2: [2] },
    });
  });

  it('roundrobin deals all topic-partitions in turn, skipping members not subscribed', () => {
    const members = [member('a', 't1', 't2'), member('b', 't2')];
    const result = roundRobinAssignment(members, partitions({ t1: 3, t2: 2 }), ['t2', 't1']);
    expect(Object.fromEntries(result)).toEqual({ a: { t1: [0, 1, 2], t2: [1] }, b: { t2: [0] } });
  });
});

describe('records', () => {
  it('writes every metadata entry as a header, except excluded ones, and takes key and partition', () => {
    const record = recordOf(
      new TextEncoder().encode('x'),
      { partitionKey: 'k1', __key: 'k2', partitionNumber: '3', secret: 's' },
      /^secret$/,
    );
    expect(record).toMatchObject({
      key: 'k1',
      partition: 3,
      headers: { partitionKey: 'k1', __key: 'k2', partitionNumber: '3' },
    });
    expect(record.headers).not.toHaveProperty('secret');
    expect(recordOf(new Uint8Array(), { __key: 'k2' }, undefined).key).toBe('k2');
    expect(() => recordOf(new Uint8Array(), { partitionNumber: '-1' }, undefined)).toThrow(InvalidArgumentError);
  });

  it('shares the bytes of the payload', () => {
    const data = new Uint8Array([1, 2, 3, 4]).subarray(1, 3);
    const value = recordOf(data, {}, undefined).value as Buffer;
    expect([...value]).toEqual([2, 3]);
    expect(value.buffer).toBe(data.buffer);
  });

  it('turns headers and broker facts into metadata; broker facts win, exclusions and escaping apply', () => {
    const message = {
      key: Buffer.from('a key'),
      value: Buffer.from('v'),
      offset: '41',
      timestamp: '1700000000000',
      headers: {
        traceid: Buffer.from('t 1/2'),
        __offset: Buffer.from('7'),
        internal: Buffer.from('x'),
        twice: [Buffer.from('a'), Buffer.from('b')],
      },
    } as unknown as KafkaMessage;
    expect(metadataOf('orders', 2, message, { escape: false, exclude: /^internal$/ })).toEqual({
      traceid: 't 1/2',
      twice: 'b',
      __key: 'a key',
      __offset: '41',
      __topic: 'orders',
      __timestamp: '1700000000000',
      __partition: '2',
    });
    expect(metadataOf('orders', 2, message, { escape: true, exclude: undefined })).toMatchObject({
      traceid: 't+1%2F2',
      __key: 'a+key',
    });
  });

  it("escapes like Go's url.QueryEscape", () => {
    expect(queryEscape("a b!'()*~-_.é")).toBe('a+b%21%27%28%29%2A~-_.%C3%A9');
  });

  it("places keys like sarama's FNV-1a hash partitioner", () => {
    // Known FNV-1a 32-bit sums: "a" = 0xe40c292c, "foobar" = 0xbf9cf968 (both negative as int32).
    expect([1, 3, 5, 7, 10].map((n) => hashPartition(Buffer.from('a'), n))).toEqual([0, 0, 1, 6, 6]);
    expect([1, 3, 5, 7, 10].map((n) => hashPartition(Buffer.from('foobar'), n))).toEqual([0, 0, 1, 4, 6]);
    const partitioner = saramaHashPartitioner();
    const partitionMetadata = [0, 1, 2, 3, 4, 5, 6].map((partitionId) => ({
      partitionId,
      leader: 1,
      partitionErrorCode: 0,
      replicas: [1],
      isr: [1],
    }));
    expect(partitioner({ topic: 't', partitionMetadata, message: { key: 'foobar', value: null } })).toBe(4);
    expect(partitioner({ topic: 't', partitionMetadata, message: { value: null, partition: 6 } })).toBe(6);
    expect(() => partitioner({ topic: 't', partitionMetadata, message: { value: null, partition: 7 } })).toThrow(
      PartitionOutOfRangeError,
    );
  });
});

describe('publish error mapping', () => {
  const protocolError = (type: string, retriable: boolean) =>
    new kafkajs.KafkaJSProtocolError({ message: type.toLowerCase(), type, code: 1, retriable } as never);

  it('makes transient trouble retriable for daprd and bad requests terminal', () => {
    expect(toPublishError(new kafkajs.KafkaJSConnectionError('connect ECONNREFUSED'))).toBeInstanceOf(UnavailableError);
    expect(
      toPublishError(
        new kafkajs.KafkaJSNumberOfRetriesExceeded(protocolError('NOT_LEADER_FOR_PARTITION', true), {
          retryCount: 5,
          retryTime: 1,
        }),
      ),
    ).toBeInstanceOf(UnavailableError);
    expect(toPublishError(protocolError('MESSAGE_TOO_LARGE', false))).toBeInstanceOf(InvalidArgumentError);
    // What kafkajs's retrier makes of an error thrown by the partitioner: a bail wrapping it as the cause.
    const outOfRange = new PartitionOutOfRangeError('partition 9 out of range');
    expect(
      toPublishError(Object.assign(new kafkajs.KafkaJSNonRetriableError(outOfRange), { cause: outOfRange })),
    ).toMatchObject({
      code: ErrorCode.InvalidArgument,
      message: 'partition 9 out of range',
    });
    expect(toPublishError(protocolError('TOPIC_AUTHORIZATION_FAILED', false)).code).toBe(ErrorCode.PermissionDenied);
  });
});

describe('offset committer', () => {
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  /** A committer whose commit calls are recorded and each held until `release()`. */
  function heldCommitter() {
    const sent: string[][] = [];
    let release: () => void = () => {};
    const committer = new OffsetCommitter(async (offsets) => {
      sent.push(offsets.map((o) => `${o.topic}/${o.partition}@${o.offset}`));
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    }, silent);
    return { sent, committer, release: () => release() };
  }

  it('sends one request at a time with the latest acknowledged offset per partition, spaced by COMMIT_INTERVAL_MS', async () => {
    vi.useFakeTimers();
    try {
      const { sent, committer, release } = heldCommitter();
      committer.acknowledged('t', 0, '4');
      committer.acknowledged('t', 0, '5');
      committer.acknowledged('t', 1, '9');
      committer.acknowledged('u', 0, '0');
      expect(sent).toEqual([['t/0@5']]); // the first after a quiet spell goes out at once
      release();
      await vi.advanceTimersByTimeAsync(COMMIT_INTERVAL_MS - 1);
      expect(sent).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(sent[1]).toEqual(['t/0@6', 't/1@10', 'u/0@1']);
      release();
      await committer.flush();
      expect(sent).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('flush() sends what is pending at once, without waiting for the interval', async () => {
    vi.useFakeTimers();
    try {
      const { sent, committer, release } = heldCommitter();
      committer.acknowledged('t', 0, '1');
      committer.acknowledged('t', 0, '2');
      release();
      await vi.advanceTimersByTimeAsync(0);
      expect(sent).toEqual([['t/0@2']]);
      const flushed = committer.flush();
      await vi.advanceTimersByTimeAsync(0);
      expect(sent[1]).toEqual(['t/0@3']);
      release();
      await flushed;
      expect(sent).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('package', () => {
  it('exports a pubsub definition served as daprkit-kafka and pubsub.kafka, versioned like package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    expect(definitions).toHaveLength(1);
    expect(definitions[0]).toMatchObject({
      kind: 'pubsub',
      socketName: 'daprkit-kafka',
      types: ['pubsub.kafka'],
      packageName: '@daprkit/pubsub-kafka',
    });
    expect(
      definitions[0]!.create({ instanceName: 'k', logger: { debug() {}, info() {}, warn() {}, error() {} } }),
    ).toBeInstanceOf(KafkaPubSub);
  });

  it('refuses to work before init and after close', async () => {
    const pubsub = new KafkaPubSub();
    const request = { topic: 't', pubsubName: 'p', data: new Uint8Array(), metadata: {} };
    await expect(pubsub.publish(request)).rejects.toThrow(/not initialised/);
    await pubsub.close();
    await pubsub.close();
    await expect(pubsub.publish(request)).rejects.toThrow(new FailedPreconditionError('component is closed'));
    await expect(pubsub.init({ brokers: 'x:1', authType: 'none' })).rejects.toBeInstanceOf(FailedPreconditionError);
  });

  it('fails init on a compression kafkajs has no codec for, before connecting', async () => {
    const init = new KafkaPubSub().init({ brokers: '127.0.0.1:1', authType: 'none', compression: 'snappy' });
    await expect(init).rejects.toBeInstanceOf(InvalidMetadataError);
    await expect(init).rejects.toMatchObject({ field: 'compression' });
  });
});
