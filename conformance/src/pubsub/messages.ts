/** Payloads, subscriptions and publishing shared by the pub/sub cases. */
import { type MessageHandler, type Metadata, resolvePubSubFeatures } from '@daprkit/component-sdk';
import { fail } from '../harness/assert.js';
import { withTimeout } from '../harness/timing.js';
import type { PubSubContext } from './options.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const payload = (c: PubSubContext, n: number) => encoder.encode(`${c.prefix}${n}`);

/** The sequence number of one of our messages; `undefined` for foreign traffic, NaN for a garbled one of ours. */
export function sequenceOf(c: PubSubContext, data: Uint8Array): number | undefined {
  const text = decoder.decode(data);
  if (!text.startsWith(c.prefix)) return undefined;
  const rest = text.slice(c.prefix.length);
  return /^\d+$/.test(rest) ? Number(rest) : Number.NaN;
}

/** Subscribing must return promptly: the subscription lives on in the background. */
const SUBSCRIBE_RETURN_MS = 10_000;

export async function subscribe(c: PubSubContext, topic: string, handler: MessageHandler): Promise<AbortController> {
  const controller = new AbortController();
  c.subscriptions.push(controller);
  await withTimeout(
    c.component.subscribe({ topic, metadata: { ...c.config.subscribeMetadata } }, handler, controller.signal),
    SUBSCRIBE_RETURN_MS,
    `subscribe to ${topic} (it must not block)`,
  );
  return controller;
}

export function publish(c: PubSubContext, topic: string, n: number, metadata: Metadata = {}): Promise<void> {
  return c.component.publish({
    data: payload(c, n),
    pubsubName: c.config.pubsubName,
    topic,
    metadata: { ...c.config.publishMetadata, ...metadata },
  });
}

/** Publishes with bounded concurrency (daprd fans bulk publishes out 100 at a time). */
export async function publishAll(c: PubSubContext, topic: string, numbers: number[], parallelism = 32): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < numbers.length) {
      const n = numbers[next++]!;
      await publish(c, topic, n);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallelism, numbers.length) }, worker));
}

/** Features daprd would see: resolved in process (BULK_PUBSUB implied by bulkPublish), as advertised on the wire. */
export function advertisedFeatures(c: PubSubContext): Set<string> {
  if (c.mode === 'socket') return new Set(c.component.features());
  try {
    return new Set(resolvePubSubFeatures(c.component));
  } catch (err) {
    fail(`features are inconsistent with the methods: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export function sortedNumbers(values: Iterable<number>): number[] {
  return [...values].sort((a, b) => a - b);
}
