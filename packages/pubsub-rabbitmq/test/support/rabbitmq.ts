/**
 * Test access to the shared RabbitMQ (`bash scripts/services.sh up rabbitmq`). Without it the broker suites are
 * skipped with the reason in their name locally, and fail in CI (`CI=true`).
 */
import { randomUUID } from 'node:crypto';
import type { Metadata, PubSubMessage } from '@daprkit/component-sdk';
import { waitFor } from '@daprkit/component-sdk/testing';
import { createDescribeWithRabbitMQ, RABBITMQ_URL, RabbitAdmin } from '@daprkit/rabbitmq-common/testing';
import { RabbitMQPubSub } from '../../src/index.js';

export { RABBITMQ_URL };
export const describeWithRabbitMQ = await createDescribeWithRabbitMQ();

/** Names unique to this run, so reruns and parallel suites never share exchanges or queues. */
export const unique = (label: string) => `daprkit-test-${label}-${randomUUID().slice(0, 8)}`;

/** Test topology is not durable and is deleted when unused, so nothing piles up on the broker. */
export function properties(extra: Metadata = {}): Metadata {
  return {
    connectionString: RABBITMQ_URL,
    consumerID: unique('app'),
    durable: 'false',
    deletedWhenUnused: 'true',
    reconnectWaitSeconds: '200ms',
    ...extra,
  };
}

const opened = new Set<RabbitMQPubSub>();

export async function openPubSub(extra: Metadata = {}): Promise<RabbitMQPubSub> {
  const pubsub = new RabbitMQPubSub();
  await pubsub.init(properties(extra));
  opened.add(pubsub);
  return pubsub;
}

export async function closeAll(): Promise<void> {
  await Promise.all([...opened].map((p) => p.close()));
  opened.clear();
}

export const openAdmin = () => RabbitAdmin.open();

export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  await waitFor(condition, timeoutMs, `a condition (${timeoutMs} ms)`, { intervalMs: 20 });
}

const encoder = new TextEncoder();
export const bytes = (text: string): Uint8Array => encoder.encode(text);
export const text = (message: PubSubMessage): string => Buffer.from(message.data).toString();

export function publishRequest(topic: string, data: string, metadata: Metadata = {}) {
  return { pubsubName: 'pubsub', topic, data: bytes(data), metadata };
}
