/**
 * [EXTENSION] delivery guarantees of our contract, each on its own topic so they cannot disturb each other:
 * redelivery after a nack, no loss under load, isolation between topics, exact bulk partial failures and
 * metadata round trip.
 */
import {
  type BulkMessageEntry,
  isBulkPublisher,
  type MessageHandler,
  type PubSubMessage,
} from '@daprkit/component-sdk';
import { check, checkEqual, sortedNumbersText, step } from '../../harness/assert.js';
import { type ConformanceCase, notClaimed, whenClaimed } from '../../harness/case.js';
import { sleep, waitUntil } from '../../harness/timing.js';
import { payload, publish, publishAll, range, sequenceOf, sortedNumbers, subscribe } from '../messages.js';
import type { PubSubContext } from '../options.js';

const topic = (c: PubSubContext, name: string) => `${c.config.extensionTopicPrefix}${name}`;
const receiveBudget = (c: PubSubContext) => c.config.waitDurationToPublishMs + c.config.maxReadDurationMs + 10_000;

function missingText(expected: number[], got: Set<number>): string {
  return sortedNumbersText(expected.filter((n) => !got.has(n)));
}

export const redelivery: ConformanceCase<PubSubContext> = {
  id: 'P-X-REDELIVERY',
  title: 'a message whose handler rejects is delivered again',
  gate: (c) =>
    c.config.redeliversOnNack ? undefined : notClaimed('declared: no redelivery (config redeliversOnNack: false)'),
  timeoutMs: receiveBudget,
  run: async (c) => {
    const name = topic(c, 'Redelivery');
    const numbers = range(1, 3);
    const deliveries = new Map<number, number>();
    const accepted = new Set<number>();
    const controller = await subscribe(c, name, async (message) => {
      const n = sequenceOf(c, message.data);
      if (n === undefined || Number.isNaN(n)) return;
      const count = (deliveries.get(n) ?? 0) + 1;
      deliveries.set(n, count);
      if (count === 1) throw new Error('conformance: negative acknowledgement');
      accepted.add(n);
    });
    try {
      await sleep(c.config.waitDurationToPublishMs);
      for (const n of numbers) await step(`publish ${n}`, () => publish(c, name, n));
      await waitUntil(() => accepted.size === numbers.length, c.config.maxReadDurationMs, 50);
      const neverDelivered = numbers.filter((n) => !deliveries.has(n));
      checkEqual(neverDelivered, [], 'messages never delivered at all');
      check(accepted.size === numbers.length, `not redelivered after a rejection: ${missingText(numbers, accepted)}`);
    } finally {
      controller.abort();
    }
  },
};

export const noLoss: ConformanceCase<PubSubContext> = {
  id: 'P-X-NO-LOSS',
  title: 'every message published to a live subscription arrives',
  timeoutMs: (c) => receiveBudget(c) + 60_000,
  run: async (c) => {
    const name = topic(c, 'NoLoss');
    const numbers = range(1, c.config.noLossMessageCount);
    const received = new Set<number>();
    let duplicates = 0;
    const controller = await subscribe(c, name, async (message) => {
      const n = sequenceOf(c, message.data);
      if (n === undefined || Number.isNaN(n)) return;
      if (received.has(n)) duplicates++;
      received.add(n);
    });
    try {
      await sleep(c.config.waitDurationToPublishMs);
      await step('publish', () => publishAll(c, name, numbers));
      await waitUntil(() => received.size === numbers.length, c.config.maxReadDurationMs, 100);
      const missing = numbers.filter((n) => !received.has(n));
      check(
        missing.length === 0,
        `${missing.length} of ${numbers.length} messages lost, e.g. ${JSON.stringify(missing.slice(0, 10))}`,
      );
      return `${numbers.length} received${duplicates > 0 ? `, ${duplicates} duplicate deliveries` : ', no duplicates'}`;
    } finally {
      controller.abort();
    }
  },
};

export const isolation: ConformanceCase<PubSubContext> = {
  id: 'P-X-ISOLATION',
  title: 'subscriptions receive only their own topic (one topic unsubscribed)',
  timeoutMs: (c) => receiveBudget(c) + c.config.waitDurationToPublishMs,
  run: async (c) => {
    const sent = new Map([
      [topic(c, 'IsolationA'), range(1, 10)],
      [topic(c, 'IsolationB'), range(101, 110)],
      [topic(c, 'IsolationC'), range(201, 210)],
    ]);
    const subscribed = [...sent.keys()].slice(0, 2);
    const received = new Map<string, number[]>(subscribed.map((t) => [t, []]));
    const wrongTopic: string[] = [];
    const handlerFor =
      (name: string): MessageHandler =>
      async (message: PubSubMessage) => {
        const n = sequenceOf(c, message.data);
        if (n === undefined) return;
        if (message.topic !== name) wrongTopic.push(`${name} got a message labelled '${message.topic}'`);
        received.get(name)!.push(n);
      };
    const controllers = [];
    for (const name of subscribed) controllers.push(await subscribe(c, name, handlerFor(name)));
    try {
      await sleep(c.config.waitDurationToPublishMs);
      for (const [name, numbers] of sent) await step(`publish to ${name}`, () => publishAll(c, name, numbers));
      const complete = () => subscribed.every((name) => sent.get(name)!.every((n) => received.get(name)!.includes(n)));
      await waitUntil(complete, c.config.maxReadDurationMs, 50);
      // Leaks from the unsubscribed topic would arrive alongside the rest; give stragglers the publish pause.
      await sleep(c.config.waitDurationToPublishMs);
      checkEqual(wrongTopic, [], 'messages with the wrong topic');
      for (const name of subscribed) {
        checkEqual(
          [...new Set(sortedNumbers(received.get(name)!))],
          sent.get(name),
          `distinct messages received on ${name}`,
        );
      }
    } finally {
      for (const controller of controllers) controller.abort();
    }
  },
};

export const bulkPublishPartialFailure: ConformanceCase<PubSubContext> = {
  id: 'P-X-BULKPUB-PARTIAL',
  title: 'bulkPublish reports exactly the failed entry and publishes the rest',
  gate: (c) =>
    whenClaimed<PubSubContext>('bulkpublish')(c) ??
    (c.config.bulkPublishFailingEntry
      ? undefined
      : notClaimed('no config.bulkPublishFailingEntry to provoke a failure')),
  timeoutMs: receiveBudget,
  run: async (c) => {
    const pubsub = c.component;
    check(isBulkPublisher(pubsub), 'bulkPublish() is not implemented');
    const name = topic(c, 'BulkPartial');
    const failing = c.config.bulkPublishFailingEntry!();
    const good = range(1, 4);
    const received = new Set<number>();
    const controller = await subscribe(c, name, async (message) => {
      const n = sequenceOf(c, message.data);
      if (n !== undefined && !Number.isNaN(n)) received.add(n);
    });
    try {
      await sleep(c.config.waitDurationToPublishMs);
      const entries: BulkMessageEntry[] = good.map((n) => ({
        entryId: `ok-${n}`,
        event: payload(c, n),
        contentType: 'text/plain',
        metadata: {},
      }));
      entries.splice(2, 0, failing);
      const response = await step('bulkPublish', () =>
        pubsub.bulkPublish({
          pubsubName: c.config.pubsubName,
          topic: name,
          metadata: { ...c.config.publishMetadata },
          entries,
        }),
      );
      checkEqual(
        response.failedEntries.map((f) => f.entryId),
        [failing.entryId],
        'failed entry ids',
      );
      check(response.failedEntries[0]!.error, 'the failed entry carries no error text');
      await waitUntil(() => received.size === good.length, c.config.maxReadDurationMs, 50);
      check(
        received.size === good.length,
        `entries that did not fail were not delivered: ${missingText(good, received)}`,
      );
    } finally {
      controller.abort();
    }
  },
};

const RUN_METADATA_KEY = 'conformance-run';

export const metadataRoundTrip: ConformanceCase<PubSubContext> = {
  id: 'P-X-METADATA',
  title: 'publish metadata reaches the subscriber',
  gate: (c) => (c.config.metadataRoundTrip ? undefined : notClaimed('not claimed (config metadataRoundTrip)')),
  timeoutMs: receiveBudget,
  run: async (c) => {
    const name = topic(c, 'Metadata');
    let seen: PubSubMessage | undefined;
    const controller = await subscribe(c, name, async (message) => {
      if (sequenceOf(c, message.data) === 1) seen = message;
    });
    try {
      await sleep(c.config.waitDurationToPublishMs);
      await step('publish', () => publish(c, name, 1, { [RUN_METADATA_KEY]: c.prefix }));
      await waitUntil(() => seen !== undefined, c.config.maxReadDurationMs, 50);
      check(seen, 'message never delivered');
      checkEqual(seen.metadata[RUN_METADATA_KEY], c.prefix, `delivered metadata '${RUN_METADATA_KEY}'`);
    } finally {
      controller.abort();
    }
  },
};
