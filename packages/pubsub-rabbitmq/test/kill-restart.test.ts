/**
 * At-least-once across a crash: the plugin process is SIGKILLed while a daprd-like client is consuming, then
 * restarted on the same socket with the same consumerID. Acks are only sent after the handler succeeded, so the
 * broker redelivers everything unacknowledged when the killed connection drops: nothing is lost, and messages
 * handled but not yet acknowledged at the kill come twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { PubSubMessage } from '@daprkit/component-sdk';
import { type RemotePubSub, remotePubSub } from '@daprkit/component-sdk/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureBuilt, type PluginProcess, startPlugin } from './support/plugin-process.js';
import { describeWithRabbitMQ, openAdmin, openPubSub, RABBITMQ_URL, unique, waitUntil } from './support/rabbitmq.js';

const MESSAGES = 5000;
const KILL_AFTER_HANDLED = 1500;

describeWithRabbitMQ('kill -9 and restart of the plugin process', () => {
  const topic = unique('kill');
  const consumerID = unique('kill-app');
  const queue = `${consumerID}-${topic}`;
  const folder = mkdtempSync('/tmp/dk-rabbit-kill-');
  const socketPath = join(folder, 'daprkit-rabbitmq.sock');
  // Durable, not auto-deleted: the queue must outlive the killed consumer (as in production).
  const properties = {
    connectionString: RABBITMQ_URL,
    consumerID,
    durable: 'true',
    deletedWhenUnused: 'false',
    deliveryMode: '2',
    prefetchCount: '200',
    reconnectWaitSeconds: '200ms',
  };
  let plugin: PluginProcess | undefined;
  const remotes: RemotePubSub[] = [];
  const subscriptions: AbortController[] = [];

  beforeAll(() => ensureBuilt(), 180_000);

  afterAll(async () => {
    for (const subscription of subscriptions) subscription.abort();
    await Promise.all(remotes.map((remote) => remote.close()));
    await plugin?.kill();
    rmSync(folder, { recursive: true, force: true });
    const admin = await openAdmin();
    await admin.remove({ queues: [queue], exchanges: [topic] });
    await admin.close();
  });

  async function attach(handler: (message: PubSubMessage) => Promise<void>): Promise<void> {
    const remote = remotePubSub({ socketPath, instanceName: 'orders-pubsub' });
    remotes.push(remote);
    await remote.init(properties);
    const subscription = new AbortController();
    subscriptions.push(subscription);
    await remote.subscribe({ topic, metadata: {} }, handler, subscription.signal);
  }

  it(`handles all ${MESSAGES} messages at least once across a SIGKILL`, async () => {
    const deliveries = new Map<number, number>();
    let handled = 0;
    const handler = async (message: PubSubMessage) => {
      const n = Number(Buffer.from(message.data).toString().slice('msg-'.length));
      deliveries.set(n, (deliveries.get(n) ?? 0) + 1);
      handled++;
    };
    const started = performance.now();
    plugin = await startPlugin(socketPath);
    await attach(handler);
    // Over the socket, subscribe returns once the topic is sent (as with daprd): wait for the consumer, since a
    // fanout exchange drops what it cannot route to a queue.
    const admin = await openAdmin();
    await waitUntil(async () => ((await admin.queue(queue))?.consumerCount ?? 0) > 0, 20_000);

    // Published by another component instance (in this process, with publisher confirms) while the plugin consumes,
    // and on while it is dead: those wait in the queue.
    const publisher = await openPubSub({ ...properties, consumerID: unique('publisher'), publisherConfirm: 'true' });
    let next = 0;
    const publishing = Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < MESSAGES) {
          const n = next++;
          await publisher.publish({ pubsubName: 'pubsub', topic, data: Buffer.from(`msg-${n}`), metadata: {} });
        }
      }),
    ).finally(() => publisher.close());

    await waitUntil(() => handled >= KILL_AFTER_HANDLED, 30_000);
    await plugin.kill();
    const handledAtKill = deliveries.size;
    const killedAt = performance.now();

    plugin = await startPlugin(socketPath);
    await attach(handler);
    await publishing;
    await waitUntil(() => deliveries.size === MESSAGES, 45_000).catch(() => {});
    const recoveredMs = performance.now() - killedAt;

    const lost = Array.from({ length: MESSAGES }, (_, n) => n).filter((n) => !deliveries.has(n));
    const duplicates = handled - deliveries.size;
    console.info(
      `[kill-restart] ${MESSAGES} messages: killed after ${handledAtKill} handled; lost ${lost.length}, ` +
        `duplicate deliveries ${duplicates}; all handled ${Math.round(recoveredMs)} ms after the kill, ` +
        `${Math.round(performance.now() - started)} ms in total`,
    );
    expect(lost, `lost messages, e.g. ${lost.slice(0, 10).join(', ')}`).toEqual([]);
    expect(handledAtKill).toBeLessThan(MESSAGES);
    // Every delivery ends acknowledged: the queue drains to empty.
    try {
      await waitUntil(async () => (await admin.queue(queue))?.messageCount === 0, 10_000);
    } finally {
      await admin.close();
    }
  }, 120_000);
});
