/** P-INIT … P-VERIFY: the main topic with the upstream error-injecting handler (conformance.md §2.2–2.3). */
import { isBulkPublisher, type MessageHandler, PubSubFeature } from '@daprkit/component-sdk';
import { check, checkEqual, sortedNumbersText, step } from '../../harness/assert.js';
import { type ConformanceCase, notOnWire, whenClaimed } from '../../harness/case.js';
import { checkPing, PING_SENTINELS } from '../../harness/ping.js';
import { sleep, waitUntil } from '../../harness/timing.js';
import { advertisedFeatures, payload, publish, range, sequenceOf, subscribe } from '../messages.js';
import type { PubSubContext } from '../options.js';

export const SIMULATED_ERROR = 'conf test simulated error';

export const init: ConformanceCase<PubSubContext> = {
  id: 'P-INIT',
  title: 'init with the component properties',
  run: async (c) => {
    await c.component.init(c.properties);
  },
};

export const ping: ConformanceCase<PubSubContext> = {
  id: 'P-PING',
  title: 'ping succeeds or answers the not-implemented sentinel',
  run: (c) => checkPing(c.component, PING_SENTINELS.pubsub, c.mode),
};

/** [EXTENSION] claims both ways: BULK_PUBSUB ⇔ `bulkpublish` claimed ⇔ bulkPublish() implemented. */
export const bulkPublishClaim: ConformanceCase<PubSubContext> = {
  id: 'P-CLAIM-BULKPUB',
  title: "claim 'bulkpublish' matches BULK_PUBSUB and bulkPublish()",
  run: async (c) => {
    const advertised = advertisedFeatures(c).has(PubSubFeature.BulkPublish);
    const implemented = isBulkPublisher(c.component);
    if (c.claims.has('bulkpublish')) {
      check(advertised, "'bulkpublish' is claimed but BULK_PUBSUB is not advertised");
      check(implemented, "'bulkpublish' is claimed but bulkPublish() is not implemented");
    } else {
      check(!advertised, "BULK_PUBSUB is advertised but 'bulkpublish' is not claimed");
      check(!implemented, "bulkPublish() is implemented but 'bulkpublish' is not claimed");
    }
  },
};

/** The upstream handler: inject failures for the first two new deliveries and every fifth, else process once. */
function mainHandler(c: PubSubContext): MessageHandler {
  const m = c.main;
  return async (message) => {
    const n = sequenceOf(c, message.data);
    if (n === undefined) return;
    if (Number.isNaN(n)) {
      m.violations.push(`garbled payload ${JSON.stringify(new TextDecoder().decode(message.data))}`);
      return;
    }
    if (m.processed.has(n)) return;
    m.deliveries++;
    // [UPSTREAM QUIRK] only checked before the first injected error, which is the very first delivery.
    if (m.injectedErrors === 0) {
      if (n < m.lastSeen) m.outOfOrder = true;
      m.lastSeen = n;
    }
    if (m.injectedErrors < 2 || m.deliveries % 5 === 0) {
      m.injectedErrors++;
      await sleep(c.config.simulatedErrorDelayMs);
      m.awaiting.delete(n);
      throw new Error(SIMULATED_ERROR);
    }
    m.processed.add(n);
    m.awaiting.delete(n);
  };
}

export const subscribeMain: ConformanceCase<PubSubContext> = {
  id: 'P-SUB',
  title: 'subscribe returns without blocking',
  run: async (c) => {
    await subscribe(c, c.config.testTopicName, mainHandler(c));
  },
};

const publishBudget = (c: PubSubContext) => c.config.waitDurationToPublishMs + 30_000;

export const publishMain: ConformanceCase<PubSubContext> = {
  id: 'P-PUB',
  title: 'publish the main batch',
  timeoutMs: publishBudget,
  run: async (c) => {
    await sleep(c.config.waitDurationToPublishMs);
    for (const n of range(1, c.config.messageCount)) {
      // Awaiting before publishing: a fast broker may deliver before publish() resolves.
      c.main.awaiting.add(n);
      await step(`publish ${n}`, () => publish(c, c.config.testTopicName, n));
    }
  },
};

export const bulkPublishMain: ConformanceCase<PubSubContext> = {
  id: 'P-BPUB',
  title: 'bulkPublish a batch with no failed entries',
  gate: whenClaimed('bulkpublish'),
  timeoutMs: publishBudget,
  run: async (c) => {
    const pubsub = c.component;
    check(isBulkPublisher(pubsub), 'bulkPublish() is not implemented');
    await sleep(c.config.waitDurationToPublishMs);
    const numbers = range(c.config.messageCount + 1, 2 * c.config.messageCount);
    for (const n of numbers) c.main.awaiting.add(n);
    const response = await step('bulkPublish', () =>
      pubsub.bulkPublish({
        pubsubName: c.config.pubsubName,
        topic: c.config.testTopicName,
        metadata: { ...c.config.publishMetadata },
        entries: numbers.map((n) => ({
          entryId: String(n),
          event: payload(c, n),
          contentType: 'text/plain',
          metadata: { ...c.config.publishMetadata },
        })),
      }),
    );
    for (const failed of response.failedEntries) c.main.awaiting.delete(Number(failed.entryId));
    // Stronger than upstream (which only requires no error): tiny messages to a healthy broker must all go.
    checkEqual(response.failedEntries, [], 'failedEntries');
  },
};

export const verifyMain: ConformanceCase<PubSubContext> = {
  id: 'P-VERIFY',
  title: 'every published message is handled',
  timeoutMs: (c) => c.config.maxReadDurationMs + 10_000,
  run: async (c) => {
    const m = c.main;
    await waitUntil(() => m.awaiting.size === 0, c.config.maxReadDurationMs, 100);
    checkEqual(m.violations, [], 'handler violations');
    check(!(c.config.checkInOrderProcessing && m.outOfOrder), 'messages arrived out of order');
    check(
      m.awaiting.size === 0,
      `never delivered within ${c.config.maxReadDurationMs} ms: ${sortedNumbersText(m.awaiting)}`,
    );
    return `${m.deliveries} deliveries, ${m.injectedErrors} injected failures, ${m.processed.size} processed`;
  },
};

/** The contract says close must be safe to call more than once; daprd has no Close RPC. */
export const close: ConformanceCase<PubSubContext> = {
  id: 'P-CLOSE',
  title: 'close succeeds and is idempotent',
  gate: (c) =>
    c.mode === 'socket' ? notOnWire('the pluggable protocol has no Close RPC (daprd cancels streams)') : undefined,
  run: async (c) => {
    for (const controller of c.subscriptions) controller.abort();
    if (typeof c.component.close !== 'function') return 'no close(): nothing to release';
    await c.component.close();
    await c.component.close();
    return undefined;
  },
};
