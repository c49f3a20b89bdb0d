import type {
  BulkMessageEntry,
  MessageHandler,
  PublishRequest,
  PubSubMessage,
  SubscribeRequest,
} from '@daprkit/component-sdk';
import { describe, expect, it } from 'vitest';
import { PUBSUB_CASES, runPubSubConformance } from '../src/index.js';
import { FAIL_ENTRY_METADATA, MapPubSub, pubsubDefinition } from './fixtures/map-pubsub.js';
import { expectCertified, expectFailures, FAST_PUBSUB, idsWith, statusOf } from './helpers.js';

const failingEntry = (): BulkMessageEntry => ({
  entryId: 'poison',
  event: new TextEncoder().encode('poison'),
  metadata: { [FAIL_ENTRY_METADATA]: 'true' },
});

/** Without bulkPublish (and so without BULK_PUBSUB), for the broken variants. */
class PlainPubSub extends MapPubSub {
  constructor() {
    super();
    // An own `undefined` hides the inherited method, as if it were never written.
    Object.defineProperty(this, 'bulkPublish', { value: undefined });
  }
}

class DropsEveryTenth extends PlainPubSub {
  private published = 0;
  override async publish(request: PublishRequest): Promise<void> {
    if (++this.published % 10 === 0) return;
    await super.publish(request);
  }
}

class NeverRedelivers extends PlainPubSub {
  protected override redeliver = false;
}

describe('the reference Map pub/sub', () => {
  it('is certified in both modes, extensions included', async () => {
    const results = await runPubSubConformance({
      definition: pubsubDefinition(() => new MapPubSub()),
      operations: ['bulkpublish'],
      config: { ...FAST_PUBSUB, metadataRoundTrip: true, bulkPublishFailingEntry: failingEntry },
    });
    expectCertified(results);
    expect(results).toHaveLength(2 * PUBSUB_CASES.length);
    for (const mode of ['in-process', 'socket'] as const) {
      expect(idsWith(results, 'not-claimed', mode)).toEqual([]);
      expect(statusOf(results, 'P-X-NO-LOSS', mode)).toBe('passed');
    }
    expect(idsWith(results, 'not-on-wire', 'socket')).toEqual(['P-CLOSE']);
  }, 60_000);
});

describe.concurrent('broken pub/subs', () => {
  it('one that drops every 10th message loses messages in the no-loss case (and the upstream phases)', async () => {
    const results = await runPubSubConformance({
      definition: pubsubDefinition(() => new DropsEveryTenth()),
      // Every phase that loses a message waits out its budget; keep it short.
      config: { ...FAST_PUBSUB, maxReadDurationMs: 1_000 },
    });
    for (const mode of ['in-process', 'socket'] as const) {
      expect(statusOf(results, 'P-X-NO-LOSS', mode)).toBe('failed');
      expect(results.find((r) => r.id === 'P-X-NO-LOSS' && r.mode === mode)?.error).toMatch(
        /^100 of 1000 messages lost/,
      );
      expect(idsWith(results, 'failed', mode)).toContain('P-VERIFY');
    }
  }, 60_000);

  it('one that never redelivers after a nack fails only the at-least-once case', async () => {
    const results = await runPubSubConformance({
      definition: pubsubDefinition(() => new NeverRedelivers()),
      config: { ...FAST_PUBSUB, maxReadDurationMs: 1_000 },
    });
    expectFailures(results, 'in-process', ['P-X-REDELIVERY']);
    expectFailures(results, 'socket', ['P-X-REDELIVERY']);
    // Upstream tolerates it: failed deliveries leave the awaiting set, so P-VERIFY still passes.
    expect(statusOf(results, 'P-VERIFY', 'in-process')).toBe('passed');
  }, 60_000);

  it('declaring no redelivery turns the at-least-once case into not-claimed', async () => {
    const results = await runPubSubConformance({
      definition: pubsubDefinition(() => new NeverRedelivers()),
      config: { ...FAST_PUBSUB, redeliversOnNack: false },
      modes: ['in-process'],
    });
    expectCertified(results, ['in-process']);
    expect(statusOf(results, 'P-X-REDELIVERY', 'in-process')).toBe('not-claimed');
  }, 60_000);

  it('bulkPublish without the claim fails the claim check both ways', async () => {
    const results = await runPubSubConformance({
      definition: pubsubDefinition(() => new MapPubSub()),
      config: FAST_PUBSUB,
    });
    expectFailures(results, 'in-process', ['P-CLAIM-BULKPUB']);
    expectFailures(results, 'socket', ['P-CLAIM-BULKPUB']);
  }, 60_000);

  it('a subscription that keeps delivering to another topic fails isolation', async () => {
    /** Leaks: a subscriber of `xA` also gets `xC`'s messages. */
    class Leaky extends PlainPubSub {
      override async subscribe(request: SubscribeRequest, handler: MessageHandler, signal: AbortSignal): Promise<void> {
        await super.subscribe(request, handler, signal);
        if (request.topic.endsWith('IsolationA')) {
          const relabel: MessageHandler = (m: PubSubMessage) => handler({ ...m, topic: request.topic });
          await super.subscribe({ ...request, topic: request.topic.replace(/A$/, 'C') }, relabel, signal);
        }
      }
    }
    const results = await runPubSubConformance({
      definition: pubsubDefinition(() => new Leaky()),
      config: FAST_PUBSUB,
      modes: ['in-process'],
    });
    expectFailures(results, 'in-process', ['P-X-ISOLATION']);
  }, 60_000);
});
