/**
 * Test access to the real Kafka (`bash scripts/services.sh up kafka`). Without it the broker suites are
 * skipped with the reason in their name locally, and fail in CI (`CI=true`), where a skip would hide a gap.
 */
import { randomUUID } from 'node:crypto';
import type { Metadata, PubSubMessage } from '@daprkit/component-sdk';
import kafkajs from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { createKafkaPubSub, type KafkaPubSub } from '../../src/index.js';

export const BROKERS = process.env.DAPRKIT_KAFKA_BROKERS ?? '127.0.0.1:9092';

const quietKafka = () =>
  new kafkajs.Kafka({
    clientId: 'daprkit-test',
    brokers: BROKERS.split(','),
    connectionTimeout: 1000,
    retry: { retries: 1, initialRetryTime: 100 },
    logLevel: kafkajs.logLevel.NOTHING,
  });

/** Throws when no broker describes the cluster within a few seconds. */
export async function probeKafka(): Promise<void> {
  const admin = quietKafka().admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } finally {
    await admin.disconnect();
  }
}

const unreachable = await probeKafka().then(
  () => undefined,
  (err: Error) => err.message || String(err),
);

/** `describe` for suites that need the broker: skipped visibly without it, failing in CI. */
export function describeWithKafka(name: string, body: () => void): void {
  if (unreachable === undefined) {
    describe(name, body);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it('has its broker', () => {
        throw new Error(`Kafka unreachable at ${BROKERS}: ${unreachable}; CI must provide it`);
      });
    });
  } else {
    describe.skip(
      `${name} [skipped: Kafka unreachable at ${BROKERS}: ${unreachable}; run bash scripts/services.sh up kafka]`,
      body,
    );
  }
}

/** Names unique to this run, so reruns and parallel suites never share topics or groups. */
export const unique = (prefix: string) => `daprkit-test-${prefix}-${randomUUID()}`;

export function properties(extra: Metadata = {}): Metadata {
  return {
    brokers: BROKERS,
    authType: 'none',
    consumerID: unique('group'),
    initialOffset: 'oldest',
    backOffDuration: '50ms',
    ...extra,
  };
}

export function openPubSub(extra: Metadata = {}): Promise<KafkaPubSub> {
  return createKafkaPubSub(properties(extra));
}

export async function createTopic(topic: string, numPartitions: number): Promise<void> {
  const admin = quietKafka().admin();
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const bytes = (text: string) => encoder.encode(text);
export const text = (message: PubSubMessage) => decoder.decode(message.data);

export const publishRequest = (topic: string, payload: string, metadata: Metadata = {}) => ({
  topic,
  pubsubName: 'pubsub',
  data: bytes(payload),
  metadata,
});

/** A handler that records acknowledged messages; `fail` picks deliveries to reject. */
export function recorder(fail: (payload: string, attempt: number) => boolean = () => false) {
  const acked: PubSubMessage[] = [];
  const deliveries: string[] = [];
  const attempts = new Map<string, number>();
  const handler = async (message: PubSubMessage) => {
    const payload = text(message);
    const attempt = (attempts.get(payload) ?? 0) + 1;
    attempts.set(payload, attempt);
    deliveries.push(payload);
    if (fail(payload, attempt)) throw new Error(`rejecting ${payload}`);
    acked.push(message);
  };
  return {
    handler,
    acked,
    deliveries,
    attempts,
    payloads: () => acked.map(text),
    waitForAcks: (count: number, timeout = 20_000) =>
      vi.waitFor(() => expect(acked.length).toBeGreaterThanOrEqual(count), { timeout, interval: 20 }),
  };
}
