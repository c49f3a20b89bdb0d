/** The real Kafka (`bash scripts/services.sh up kafka`): visible skip locally without it, failure in CI. */
import type { BindingEvent } from '@daprkit/component-sdk';
import { expect, vi } from 'vitest';

export {
  BROKERS,
  createTopic,
  describeWithKafka,
  probeKafka,
  quietKafka,
  unique,
} from '@daprkit/kafka-common/testing';

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
