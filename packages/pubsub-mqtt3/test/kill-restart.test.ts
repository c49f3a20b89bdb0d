/**
 * The crash test: the plugin process is SIGKILLed while a daprd-like client is consuming, then restarted on the
 * same socket with the same consumerID (= MQTT client ID, persistent session). QoS 1 + cleanSession false: the
 * broker keeps every message not yet PUBACKed (in flight or queued) for the session and resends it on reconnect.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { PubSubMessage } from '@daprkit/component-sdk';
import { type RemotePubSub, remotePubSub } from '@daprkit/component-sdk/client';
import { waitFor } from '@daprkit/component-sdk/testing';
import { createDescribeWithMqtt, MQTT_URL, rawMqtt } from '@daprkit/mqtt-common/testing';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureBuilt, type PluginProcess, startPlugin } from './support/plugin-process.js';

const MESSAGES = 5000;
const KILL_AFTER_HANDLED = 1500;
const describeWithMqtt = await createDescribeWithMqtt();

describeWithMqtt('kill -9 and restart of the plugin process', () => {
  const run = randomUUID();
  const topic = `daprkit-test/kill-restart/${run}`;
  const consumerID = `kill-${run}`;
  const folder = mkdtempSync('/tmp/dk-kill-');
  const socketPath = join(folder, 'daprkit-mqtt3.sock');
  const properties = { url: MQTT_URL, consumerID, qos: '1', cleanSession: 'false' };
  let publisher: MqttClient;
  let plugin: PluginProcess | undefined;
  const remotes: RemotePubSub[] = [];
  const subscriptions: AbortController[] = [];

  beforeAll(async () => {
    ensureBuilt();
    publisher = await rawMqtt();
  }, 180_000);

  afterAll(async () => {
    for (const subscription of subscriptions) subscription.abort();
    await Promise.all(remotes.map((remote) => remote.close()));
    await plugin?.kill();
    await publisher?.endAsync();
    // Drop the persistent session this test left on the broker.
    const cleaner = await rawMqtt({ clientId: consumerID, clean: true }).catch(() => undefined);
    await cleaner?.endAsync();
    rmSync(folder, { recursive: true, force: true });
  });

  /** Init like daprd (same instance name and consumerID every time), then subscribe. */
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
    let probed = false;
    const handler = async (message: PubSubMessage) => {
      const text = Buffer.from(message.data).toString();
      if (text === 'probe') probed = true;
      if (!text.startsWith('msg-')) return;
      const n = Number(text.slice('msg-'.length));
      deliveries.set(n, (deliveries.get(n) ?? 0) + 1);
      handled++;
    };
    const started = performance.now();
    plugin = await startPlugin(socketPath);
    await attach(handler);

    // The subscription is live on the broker once a probe comes through (the remote subscribe returns before the
    // plugin's SUBSCRIBE is granted; MQTT drops what is published to a topic nobody has subscribed to yet).
    await waitFor(
      async () => {
        if (!probed) await publisher.publishAsync(topic, 'probe', { qos: 1 });
        return probed;
      },
      10_000,
      'a probe message',
      { intervalMs: 100 },
    );
    // All 5,000 at once, still being published while the plugin is killed: the broker queues the rest for the
    // offline session.
    const published = Promise.all(
      Array.from({ length: MESSAGES }, (_, n) => publisher.publishAsync(topic, `msg-${n}`, { qos: 1 })),
    );

    await waitFor(() => handled >= KILL_AFTER_HANDLED, 30_000, 'the first messages', { intervalMs: 10 });
    await plugin.kill();
    const handledAtKill = deliveries.size;
    const killedAt = performance.now();

    await published; // the broker has them all (PUBACKed to the publisher)
    plugin = await startPlugin(socketPath);
    await attach(handler);
    await waitFor(() => deliveries.size === MESSAGES, 45_000, 'every message', { intervalMs: 20 }).catch(() => {});
    const recoveredMs = performance.now() - killedAt;

    const lost = Array.from({ length: MESSAGES }, (_, n) => n).filter((n) => !deliveries.has(n));
    const duplicates = handled - deliveries.size;
    console.info(
      `[kill-restart mqtt] ${MESSAGES} messages: killed after ${handledAtKill} handled; lost ${lost.length}, ` +
        `duplicate deliveries ${duplicates}; all handled ${Math.round(recoveredMs)} ms after the kill, ` +
        `${Math.round(performance.now() - started)} ms in total`,
    );
    expect(lost, `lost messages, e.g. ${lost.slice(0, 10).join(', ')}`).toEqual([]);
    expect(duplicates).toBeGreaterThanOrEqual(0);
  }, 120_000);
});
