/**
 * P-MULTI: two subscriptions on one instance, then stopping them one at a time. Each round must deliver
 * exactly what was sent per topic — no duplicates, no cross-topic leakage — and cancelling one subscription
 * must not disturb the other.
 */
import type { MessageHandler } from '@daprkit/component-sdk';
import { checkEqual, step } from '../../harness/assert.js';
import type { ConformanceCase } from '../../harness/case.js';
import { sleep, waitUntil } from '../../harness/timing.js';
import { publish, range, sequenceOf, sortedNumbers, subscribe } from '../messages.js';
import type { PubSubContext } from '../options.js';

function collector(c: PubSubContext, topic: string): MessageHandler {
  return async (message) => {
    const n = sequenceOf(c, message.data);
    if (n !== undefined) c.multi.received.get(topic)?.push(n);
  };
}

/** Publishes `numbers` (even → topic 1, odd → topic 2, upstream's split) and checks each topic's multiset. */
async function round(c: PubSubContext, numbers: number[], label: string): Promise<void> {
  const { testMultiTopic1Name: topic1, testMultiTopic2Name: topic2 } = c.config;
  const expected = new Map([
    [topic1, numbers.filter((n) => n % 2 === 0)],
    [topic2, numbers.filter((n) => n % 2 === 1)],
  ]);
  for (const topic of expected.keys()) c.multi.received.set(topic, []);
  for (const n of numbers) {
    await step(`${label}: publish ${n}`, () => publish(c, n % 2 === 0 ? topic1 : topic2, n));
  }
  const complete = () =>
    [...expected].every(([topic, sent]) => {
      const got = new Set(c.multi.received.get(topic));
      return sent.every((n) => got.has(n));
    });
  await waitUntil(complete, c.config.maxReadDurationMs, 100);
  for (const [topic, sent] of expected) {
    checkEqual(sortedNumbers(c.multi.received.get(topic) ?? []), sent, `${label}: received on ${topic} (sorted)`);
  }
}

const roundBudget = (c: PubSubContext) => c.config.waitDurationToPublishMs + c.config.maxReadDurationMs + 10_000;

export const multipleHandlers: ConformanceCase<PubSubContext> = {
  id: 'P-MULTI-1',
  title: 'two subscriptions each receive exactly their topic',
  timeoutMs: roundBudget,
  run: async (c) => {
    const { testMultiTopic1Name: topic1, testMultiTopic2Name: topic2, messageCount } = c.config;
    c.multi.controllers.push(await subscribe(c, topic1, collector(c, topic1)));
    c.multi.controllers.push(await subscribe(c, topic2, collector(c, topic2)));
    await sleep(c.config.waitDurationToPublishMs);
    await round(c, range(messageCount + 1, 2 * messageCount), 'multiple handlers');
  },
};

export const stopSubscribers: ConformanceCase<PubSubContext> = {
  id: 'P-MULTI-2',
  title: 'stopping one subscription leaves the other delivering',
  timeoutMs: (c) => 3 * roundBudget(c),
  run: async (c) => {
    const [first, second] = c.multi.controllers;
    checkEqual(c.multi.controllers.length, 2, 'subscriptions from P-MULTI-1');
    const { messageCount } = c.config;
    await round(c, range(2 * messageCount + 1, 3 * messageCount), 'round 0 (both subscribed)');

    first!.abort();
    await sleep(c.config.waitDurationToPublishMs);
    const odd = range(3 * messageCount + 1, 4 * messageCount).filter((n) => n % 2 === 1);
    await round(c, odd, 'round 1 (topic 1 unsubscribed)');

    second!.abort();
    await sleep(c.config.waitDurationToPublishMs);
    await round(c, [], 'round 2 (both unsubscribed)');
  },
};
