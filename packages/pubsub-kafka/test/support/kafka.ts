/**
 * Test access to the real Kafka (`bash scripts/services.sh up kafka`). Without it the broker suites are
 * skipped with the reason in their name locally, and fail in CI (`CI=true`), where a skip would hide a gap.
 */
import type { Metadata, PubSubMessage } from '@daprkit/component-sdk';
import { BROKERS, unique } from '@daprkit/kafka-common/testing';
import { expect, vi } from 'vitest';
import { createKafkaPubSub, type KafkaPubSub } from '../../src/index.js';

export { BROKERS, createTopic, describeWithKafka, probeKafka, unique } from '@daprkit/kafka-common/testing';

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
