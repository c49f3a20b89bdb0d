/** The real Kafka (`bash scripts/services.sh up kafka`): visible skip locally without it, failure in CI. */
import { randomUUID } from 'node:crypto';
import type { BindingEvent } from '@daprkit/component-sdk';
import kafkajs from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';

export const BROKERS = process.env.DAPRKIT_KAFKA_BROKERS ?? '127.0.0.1:9092';

export const quietKafka = () =>
  new kafkajs.Kafka({
    clientId: 'daprkit-test',
    brokers: BROKERS.split(','),
    connectionTimeout: 1000,
    retry: { retries: 1, initialRetryTime: 100 },
    logLevel: kafkajs.logLevel.NOTHING,
  });

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

export function describeWithKafka(name: string, body: () => void): void {
  if (unreachable === undefined) describe(name, body);
  else if (process.env.CI === 'true')
    describe(name, () =>
      it('has its broker', () => Promise.reject(new Error(`Kafka unreachable at ${BROKERS}: ${unreachable}`))),
    );
  else
    describe.skip(
      `${name} [skipped: Kafka unreachable at ${BROKERS}: ${unreachable}; run bash scripts/services.sh up kafka]`,
      body,
    );
}

export const unique = (prefix: string) => `daprkit-test-${prefix}-${randomUUID()}`;

export async function createTopic(topic: string, numPartitions: number): Promise<void> {
  const admin = quietKafka().admin();
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** A binding handler recording events; `fail` picks deliveries to reject (the app answering non-2xx). */
export function recorder(fail: (payload: string, attempt: number) => boolean = () => false) {
  const accepted: BindingEvent[] = [];
  const deliveries: string[] = [];
  const attempts = new Map<string, number>();
  const handler = async (event: BindingEvent) => {
    const payload = Buffer.from(event.data).toString();
    const attempt = (attempts.get(payload) ?? 0) + 1;
    attempts.set(payload, attempt);
    deliveries.push(payload);
    if (fail(payload, attempt)) throw new Error(`app answered 500 for ${payload}`);
    accepted.push(event);
    return undefined;
  };
  return {
    handler,
    accepted,
    deliveries,
    payloads: () => accepted.map((e) => Buffer.from(e.data).toString()),
    waitFor: (count: number, timeout = 20_000) =>
      vi.waitFor(() => expect(accepted.length).toBeGreaterThanOrEqual(count), { timeout, interval: 20 }),
  };
}
