// Issue 21 item 3: a subscriber slower than its publishers bounds the queue: publish waits for room, then fails
// with RESOURCE_EXHAUSTED after publishTimeout, instead of every publish succeeding while memory grows.
import { DaprkitError, ErrorCode, InvalidMetadataError, type PubSubMessage } from '@daprkit/component-sdk';
import { describe, expect, it } from 'vitest';
import { createMemoryPubSub } from '../src/index.js';

const encoder = new TextEncoder();
const publishOf = (topic: string, payload: string) => ({
  topic,
  data: encoder.encode(payload),
  pubsubName: 'pubsub',
  metadata: {},
});

/** A handler that holds every delivery until `release()` lets one through. */
function gatedHandler() {
  const delivered: string[] = [];
  const waiting: (() => void)[] = [];
  let arrived: (() => void) | undefined;
  const handler = (message: PubSubMessage) =>
    new Promise<void>((resolve) => {
      waiting.push(() => {
        delivered.push(new TextDecoder().decode(message.data));
        resolve();
      });
      arrived?.();
    });
  const nextArrival = () =>
    waiting.length > 0 ? Promise.resolve() : new Promise<void>((resolve) => (arrived = resolve));
  return { handler, delivered, release: () => waiting.shift()?.(), nextArrival };
}

/** Whether `promise` settles within a few event-loop turns (not a timing assertion: nothing else can settle it). */
async function settlesSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('in-memory pub/sub backpressure', () => {
  it('a publish to a full queue waits until the slow subscriber takes a message, then is queued', async () => {
    const bus = await createMemoryPubSub({ maxQueuedMessages: '3', publishTimeout: '1m' });
    const slow = gatedHandler();
    const stop = new AbortController();
    await bus.subscribe({ topic: 'orders', metadata: {} }, slow.handler, stop.signal);
    for (const n of ['1', '2', '3']) await bus.publish(publishOf('orders', n));
    await slow.nextArrival(); // '1' is with the handler, still queued until acked
    const fourth = bus.publish(publishOf('orders', '4'));
    expect(await settlesSoon(fourth)).toBe(false);
    slow.release();
    await fourth;
    for (let i = 0; i < 3; i++) {
      await slow.nextArrival();
      slow.release();
    }
    expect(slow.delivered).toEqual(['1', '2', '3', '4']);
    stop.abort();
    await bus.close();
  });

  it('fails with RESOURCE_EXHAUSTED naming the limits once publishTimeout passes, and queues nothing', async () => {
    const bus = await createMemoryPubSub({ maxQueuedMessages: '2', publishTimeout: '0s' });
    const slow = gatedHandler();
    const stop = new AbortController();
    await bus.subscribe({ topic: 'orders', metadata: {} }, slow.handler, stop.signal);
    await bus.publish(publishOf('orders', 'a'));
    await bus.publish(publishOf('orders', 'b'));
    const error = await bus.publish(publishOf('orders', 'c')).catch((e: unknown) => e);
    expect(DaprkitError.isInstance(error) && error.code).toBe(ErrorCode.ResourceExhausted);
    expect(String((error as Error).message)).toMatch(/maxQueuedMessages 2.*publishTimeout/);
    const bulk = await bus.bulkPublish({
      pubsubName: 'pubsub',
      topic: 'orders',
      metadata: {},
      entries: [{ entryId: 'e1', event: encoder.encode('d'), contentType: 'text/plain', metadata: {} }],
    });
    expect(bulk.failedEntries.map((f) => f.entryId)).toEqual(['e1']);
    for (let i = 0; i < 2; i++) {
      await slow.nextArrival();
      slow.release();
    }
    await bus.publish(publishOf('orders', 'e'));
    await slow.nextArrival();
    slow.release();
    expect(slow.delivered).toEqual(['a', 'b', 'e']);
    stop.abort();
    await bus.close();
  });

  it('bounds bytes too (one message larger than the limit still enters an empty queue), and stop releases waiters', async () => {
    const bus = await createMemoryPubSub({ maxQueuedBytes: '8', publishTimeout: '1m' });
    const slow = gatedHandler();
    const stop = new AbortController();
    await bus.subscribe({ topic: 't', metadata: {} }, slow.handler, stop.signal);
    await bus.publish(publishOf('t', 'x'.repeat(20)));
    const blocked = bus.publish(publishOf('t', 'y'));
    expect(await settlesSoon(blocked)).toBe(false);
    stop.abort(); // the subscription goes away: nothing is full any more
    await blocked;
    await bus.close();
  });

  it('validates the limits by field name', async () => {
    await expect(createMemoryPubSub({ maxQueuedMessages: '0' })).rejects.toThrow(InvalidMetadataError);
    await expect(createMemoryPubSub({ maxQueuedBytes: 'lots' })).rejects.toThrow(/maxQueuedBytes/);
    await expect(createMemoryPubSub({ publishTimeout: 'soon' })).rejects.toThrow(/publishTimeout/);
  });

  it('keeps memory bounded: 20,000 publishes to a stalled subscriber fail fast after the bound instead of queueing', async () => {
    const bus = await createMemoryPubSub({ maxQueuedMessages: '100', publishTimeout: '0s' });
    const slow = gatedHandler();
    const stop = new AbortController();
    await bus.subscribe({ topic: 'flood', metadata: {} }, slow.handler, stop.signal);
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 20_000; i++) {
      try {
        await bus.publish(publishOf('flood', String(i)));
        accepted++;
      } catch {
        refused++;
      }
    }
    expect(accepted).toBe(100);
    expect(refused).toBe(19_900);
    stop.abort();
    await bus.close();
  });
});
