/**
 * @daprkit/kafka-common/testing — test support for Kafka components: reach the shared broker
 * (`bash scripts/services.sh up kafka`, override with `DAPRKIT_KAFKA_BROKERS`), gate suites on it (skipped visibly
 * without it locally, failing with `CI=true`, where a skip would hide a gap), unique names, topics with partitions.
 * `describeWithKafka` registers vitest suites, so this entry point needs `vitest` (an optional peer dependency).
 */
import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { describe, it } from 'vitest';

export const BROKERS = process.env.DAPRKIT_KAFKA_BROKERS ?? '127.0.0.1:9092';

/** A client for test set-up: short timeouts, one retry, no kafkajs console output. */
export const quietKafka = () =>
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

/** Why the broker cannot be used (probed once, when a test file first imports this module), or undefined. */
export const kafkaUnreachable: string | undefined = await probeKafka().then(
  () => undefined,
  (err: Error) => err.message || String(err),
);

/** `describe` for suites that need the broker: skipped visibly without it, failing in CI. */
export function describeWithKafka(name: string, body: () => void): void {
  const reason = kafkaUnreachable;
  if (reason === undefined) {
    describe(name, body);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it('has its broker', () => {
        throw new Error(`Kafka unreachable at ${BROKERS}: ${reason}; CI must provide it`);
      });
    });
  } else {
    describe.skip(
      `${name} [skipped: Kafka unreachable at ${BROKERS}: ${reason}; run bash scripts/services.sh up kafka]`,
      body,
    );
  }
}

/** Names unique to this run, so reruns and parallel suites never share topics or groups. */
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
