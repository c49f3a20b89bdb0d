/**
 * The crash test: the plugin process is SIGKILLed while a daprd-like client is consuming, then restarted on the
 * same socket with the same durableName. The durable consumer keeps every message not yet acknowledged; after
 * `ackWait` (or at once, for messages never delivered) the server redelivers them to the new subscription.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { PubSubMessage } from '@daprkit/component-sdk';
import { type RemotePubSub, remotePubSub } from '@daprkit/component-sdk/client';
import { waitFor } from '@daprkit/component-sdk/testing';
import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createStream, describeWithNats, NATS_URL, openNats } from './support/nats.js';
import { ensureBuilt, type PluginProcess, startPlugin } from './support/plugin-process.js';

const MESSAGES = 5000;
const KILL_AFTER_HANDLED = 1500;

describeWithNats('kill -9 and restart of the plugin process', () => {
  const folder = mkdtempSync('/tmp/dk-kill-');
  const socketPath = join(folder, 'daprkit-jetstream.sock');
  let nats: Awaited<ReturnType<typeof openNats>>;
  let stream: { name: string; prefix: string };
  let plugin: PluginProcess | undefined;
  const remotes: RemotePubSub[] = [];
  const subscriptions: AbortController[] = [];

  beforeAll(async () => {
    ensureBuilt();
    nats = await openNats();
    stream = await createStream(nats.jsm, 'kill');
  }, 180_000);

  afterAll(async () => {
    for (const subscription of subscriptions) subscription.abort();
    await Promise.all(remotes.map((remote) => remote.close()));
    await plugin?.kill();
    await nats?.jsm.streams.delete(stream.name).catch(() => {});
    await nats?.nc.close();
    rmSync(folder, { recursive: true, force: true });
  });

  async function attach(handler: (message: PubSubMessage) => Promise<void>): Promise<void> {
    const remote = remotePubSub({ socketPath, instanceName: 'orders-pubsub' });
    remotes.push(remote);
    await remote.init({ natsURL: NATS_URL, durableName: 'kill-test', ackWait: '3s', maxAckPending: '100' });
    const subscription = new AbortController();
    subscriptions.push(subscription);
    await remote.subscribe({ topic: `${stream.prefix}.orders`, metadata: {} }, handler, subscription.signal);
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

    const js = jetstream(nats.nc);
    const published = Promise.all(
      Array.from({ length: MESSAGES }, (_, n) => js.publish(`${stream.prefix}.orders`, `msg-${n}`)),
    );
    await waitFor(() => handled >= KILL_AFTER_HANDLED, 30_000, 'the first messages', { intervalMs: 10 });
    await plugin.kill();
    const handledAtKill = deliveries.size;
    const killedAt = performance.now();
    await published;

    plugin = await startPlugin(socketPath);
    await attach(handler);
    await waitFor(() => deliveries.size === MESSAGES, 45_000, 'every message', { intervalMs: 20 }).catch(() => {});
    const recoveredMs = performance.now() - killedAt;

    const lost = Array.from({ length: MESSAGES }, (_, n) => n).filter((n) => !deliveries.has(n));
    const duplicates = handled - deliveries.size;
    console.info(
      `[kill-restart jetstream] ${MESSAGES} messages: killed after ${handledAtKill} handled; lost ${lost.length}, ` +
        `duplicate deliveries ${duplicates}; all handled ${Math.round(recoveredMs)} ms after the kill, ` +
        `${Math.round(performance.now() - started)} ms in total`,
    );
    expect(lost, `lost messages, e.g. ${lost.slice(0, 10).join(', ')}`).toEqual([]);
    expect(duplicates).toBeGreaterThanOrEqual(0);
    // Every delivery ends acknowledged: nothing pending on the durable consumer.
    await waitFor(
      async () => {
        const info = await nats.jsm.consumers.info(stream.name, 'kill-test');
        return info.num_ack_pending === 0 && info.num_pending === 0;
      },
      10_000,
      'an empty consumer',
    );
  }, 120_000);
});
