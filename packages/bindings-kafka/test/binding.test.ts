import { readFileSync } from 'node:fs';
import { InvalidMetadataError } from '@daprkit/component-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import {
  definitions,
  KafkaInputBinding,
  KafkaOutputBinding,
  parseKafkaBindingSettings,
  VERSION,
} from '../src/index.js';
import { BROKERS, createTopic, describeWithKafka, recorder, unique } from './support.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('package and metadata', () => {
  it('serves bindings.kafka as input and output on one socket', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(VERSION).toBe(pkg.version);
    expect(definitions.map((d) => [d.kind, d.socketName, d.types])).toEqual([
      ['inputBinding', 'daprkit-bindings-kafka', ['bindings.kafka']],
      ['outputBinding', 'daprkit-bindings-kafka', ['bindings.kafka']],
    ]);
  });

  it('uses the shared Kafka metadata with the binding defaults', () => {
    const s = parseKafkaBindingSettings({ brokers: BROKERS, authType: 'none', topics: 'a, b,,c', publishTopic: 'out' });
    expect(s.topics).toEqual(['a', 'b', 'c']);
    expect(s.publishTopic).toBe('out');
    // consumeRetryEnabled defaults to false for the binding: a rejected message is not retried.
    expect(s.redelivery.maxRetries).toBe(0);
    expect(
      parseKafkaBindingSettings({ brokers: BROKERS, authType: 'none', consumeRetryEnabled: 'true' }).redelivery
        .maxRetries,
    ).toBe(-1);
    expect(parseKafkaBindingSettings({ brokers: BROKERS, authRequired: 'false', consumerID: 'g' }).consumerGroup).toBe(
      'g',
    );
    expect(() => parseKafkaBindingSettings({ authType: 'none' })).toThrow(InvalidMetadataError);
    expect(() => parseKafkaBindingSettings({ brokers: BROKERS, authType: 'password' })).toThrow(/saslUsername/);
  });
});

describeWithKafka('bindings.kafka against Kafka', () => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
  });

  async function output(topic: string) {
    const binding = new KafkaOutputBinding();
    open.push(binding);
    await binding.init({ brokers: BROKERS, authType: 'none', publishTopic: topic });
    return binding;
  }

  async function input(topic: string, group: string, handler: ReturnType<typeof recorder>['handler'], extra = {}) {
    const binding = new KafkaInputBinding();
    open.push(binding);
    const reading = new AbortController();
    await binding.init({
      brokers: BROKERS,
      authType: 'none',
      topics: topic,
      consumerGroup: group,
      initialOffset: 'oldest',
      backOffDuration: '50ms',
      ...extra,
    });
    await binding.read(handler, reading.signal);
    return { binding, reading };
  }

  it('publishes with key and headers, and the input delivers data and contrib’s metadata', async () => {
    const topic = unique('roundtrip');
    await createTopic(topic, 3);
    const out = await output(topic);
    expect(out.operations()).toEqual(['create']);
    // Any operation publishes, as in contrib.
    await out.invoke({
      operation: 'create',
      data: bytes('{"a":1}'),
      metadata: { partitionKey: 'order-7', trace: 't1' },
    });
    await out.invoke({ operation: 'anything', data: bytes('null'), metadata: {} });
    const events = recorder();
    await input(topic, unique('group'), events.handler);
    await events.waitFor(2);
    const byData = new Map(events.accepted.map((e) => [Buffer.from(e.data).toString(), e.metadata]));
    const keyed = byData.get('{"a":1}')!;
    expect(keyed).toMatchObject({ __key: 'order-7', __topic: topic, partitionKey: 'order-7', trace: 't1' });
    expect(keyed.__offset).toMatch(/^\d+$/);
    expect(keyed.__timestamp).toMatch(/^\d{13}$/);
    // sarama's FNV-1a partitioner decides the partition, as with daprd's producer.
    const { hashPartition } = await import('@daprkit/kafka-common');
    expect(keyed.__partition).toBe(String(hashPartition(bytes('order-7'), 3)));
    // data `null` went out as a tombstone and comes back as the bytes `null`.
    expect(byData.has('null')).toBe(true);
    await expect(
      out.invoke({ operation: 'create', data: bytes('x'), metadata: { partitionNumber: '9' } }),
    ).rejects.toThrow(/partition 9 is out of range/);
  });

  it('commits only after the app accepted: a rejected last message is delivered again after a restart', async () => {
    const topic = unique('uncommitted');
    const group = unique('group');
    await createTopic(topic, 1);
    const out = await output(topic);
    await out.invoke({ operation: 'create', data: bytes('m1'), metadata: {} });
    const first = recorder((payload) => payload === 'm1');
    const { binding } = await input(topic, group, first.handler);
    await expect.poll(() => first.deliveries.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    await binding.close();
    // Default (consumeRetryEnabled false): not retried in place, but not committed either.
    expect(first.deliveries).toEqual(['m1']);
    const second = recorder();
    await input(topic, group, second.handler);
    await second.waitFor(1);
    expect(second.payloads()).toEqual(['m1']);
  });

  it('with consumeRetryEnabled a rejected message is redelivered before the ones behind it', async () => {
    const topic = unique('retry');
    await createTopic(topic, 1);
    const out = await output(topic);
    for (const m of ['a', 'b', 'c']) await out.invoke({ operation: 'create', data: bytes(m), metadata: {} });
    const events = recorder((payload, attempt) => payload === 'b' && attempt < 3);
    await input(topic, unique('group'), events.handler, { consumeRetryEnabled: 'true' });
    await events.waitFor(3);
    expect(events.payloads()).toEqual(['a', 'b', 'c']);
    expect(events.deliveries).toEqual(['a', 'b', 'b', 'b', 'c']);
  });

  it('without consumeRetryEnabled a rejected message is skipped once a later one succeeds', async () => {
    const topic = unique('skip');
    await createTopic(topic, 1);
    const out = await output(topic);
    for (const m of ['a', 'b', 'c']) await out.invoke({ operation: 'create', data: bytes(m), metadata: {} });
    const events = recorder((payload) => payload === 'b');
    await input(topic, unique('group'), events.handler);
    await events.waitFor(2);
    expect(events.payloads()).toEqual(['a', 'c']);
    expect(events.deliveries).toEqual(['a', 'b', 'c']);
  });

  it('reads nothing without topics, and needs a consumer group to read', async () => {
    const quiet = new KafkaInputBinding();
    open.push(quiet);
    await quiet.init({ brokers: BROKERS, authType: 'none' });
    await quiet.read(recorder().handler, new AbortController().signal);
    const groupless = new KafkaInputBinding();
    open.push(groupless);
    await groupless.init({ brokers: BROKERS, authType: 'none', topics: 't' });
    await expect(groupless.read(recorder().handler, new AbortController().signal)).rejects.toThrow(/consumerGroup/);
    const nowhere = new KafkaOutputBinding();
    await expect(nowhere.init({ brokers: '127.0.0.1:1', authType: 'none', publishTopic: 't' })).rejects.toThrow(
      /metadata 'brokers': cannot reach 127\.0\.0\.1:1/,
    );
  });
});
