/**
 * At-least-once across a crash: the plugin process is SIGKILLed while a daprd-like client is consuming, then
 * restarted on the same socket with the same consumerID (queue). A message is deleted from SQS only after its
 * handler succeeded, so every message is still handled; those received but not yet deleted at the kill come back
 * after the visibility timeout (duplicates, counted).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PublishBatchCommand } from '@aws-sdk/client-sns';
import type { PubSubMessage } from '@daprkit/component-sdk';
import { type RemotePubSub, remotePubSub } from '@daprkit/component-sdk/client';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { sanitizeName } from '../src/index.js';
import { describeWithAws, pubsubProperties, snsClient } from './support/aws.js';
import { ensureBuilt, type PluginProcess, startPlugin } from './support/plugin-process.js';

const MESSAGES = 5000;
const KILL_AFTER = 1000;

describeWithAws('kill -9 and restart of the plugin process', () => {
  const run = randomUUID().slice(0, 8);
  const topic = `daprkit.kill.${run}`;
  const folder = mkdtempSync('/tmp/dk-snssqs-kill-');
  const socketPath = join(folder, 'daprkit-aws-snssqs.sock');
  const properties = pubsubProperties({ consumerID: `daprkit-kill-${run}`, messageVisibilityTimeout: '2' });
  const sns = snsClient();
  let plugin: PluginProcess | undefined;
  const remotes: RemotePubSub[] = [];
  const subscriptions: AbortController[] = [];

  beforeAll(() => ensureBuilt(), 180_000);

  afterAll(async () => {
    for (const subscription of subscriptions) subscription.abort();
    await Promise.all(remotes.map((remote) => remote.close().catch(() => {})));
    await plugin?.kill();
    sns.destroy();
    rmSync(folder, { recursive: true, force: true });
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
    plugin = await startPlugin(socketPath);
    // Subscribing creates topic, queue, policy and subscription; SNS only fans out to existing subscriptions.
    await attach(handler);
    const topicArn = `arn:aws:sns:${properties.region}:123456789012:${sanitizeName(topic, false)}`;
    const publishing = (async () => {
      for (let i = 0; i < MESSAGES; i += 10) {
        const entries = Array.from({ length: Math.min(10, MESSAGES - i) }, (_, j) => ({
          Id: String(j),
          Message: `msg-${i + j}`,
        }));
        const out = await sns.send(new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: entries }));
        expect(out.Failed ?? []).toEqual([]);
      }
    })();
    await vi.waitFor(() => expect(handled).toBeGreaterThanOrEqual(KILL_AFTER), { timeout: 60_000, interval: 5 });
    await plugin.kill();
    const handledAtKill = deliveries.size;
    const killedAt = performance.now();
    await publishing;

    plugin = await startPlugin(socketPath);
    await attach(handler);
    await vi.waitFor(() => expect(deliveries.size).toBe(MESSAGES), { timeout: 90_000, interval: 50 }).catch(() => {});

    const lost = Array.from({ length: MESSAGES }, (_, n) => n).filter((n) => !deliveries.has(n));
    const duplicates = handled - deliveries.size;
    console.info(
      `[kill-restart] ${MESSAGES} messages: killed after ${handledAtKill} handled; lost ${lost.length}, ` +
        `duplicate deliveries ${duplicates}; all handled ${Math.round(performance.now() - killedAt)} ms after the kill`,
    );
    expect(lost, `lost messages, e.g. ${lost.slice(0, 10).join(', ')}`).toEqual([]);
    expect(handledAtKill).toBeLessThan(MESSAGES);
  }, 200_000);
});
