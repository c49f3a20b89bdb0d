/**
 * At-least-once across a crash (5,000 messages; DAPRKIT_SNSSQS_KILL_MESSAGES overrides): the plugin process is
 * SIGKILLed while a daprd-like client is consuming, then
 * restarted on the same socket with the same consumerID (queue). A message is deleted from SQS only after its
 * handler succeeded, so every message is still handled; those received but not yet deleted at the kill come back
 * after the visibility timeout (duplicates, counted).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CreateTopicCommand, ListSubscriptionsByTopicCommand, PublishBatchCommand } from '@aws-sdk/client-sns';
import type { PubSubMessage } from '@daprkit/component-sdk';
import { type RemotePubSub, remotePubSub } from '@daprkit/component-sdk/client';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { sanitizeName } from '../src/index.js';
import { describeWithAws, pubsubProperties, snsClient } from './support/aws.js';
import { ensureBuilt, type PluginProcess, startPlugin } from './support/plugin-process.js';

// The size. Stock moto 5.2.5 could not finish it (its SQS work grows with the queue length per message);
// our launcher makes those paths linear (packages/aws-common/moto/daprkit_moto_server.py): ~70 s at load 12.
const MESSAGES = Number(process.env.DAPRKIT_SNSSQS_KILL_MESSAGES ?? 5000);
// PublishBatch calls in flight: moto signs every SNS→SQS envelope, so one sequential publisher is the slow side.
const PUBLISHERS = 4;
const KILL_AFTER = Math.floor(MESSAGES / 4);

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

  it(
    `handles all ${MESSAGES} messages at least once across a SIGKILL`,
    async () => {
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
      // The socket subscription attaches asynchronously: wait until the queue is subscribed to the topic (what
      // CreateTopic answers for an existing topic is its ARN), since SNS drops messages nobody is subscribed to yet.
      const name = sanitizeName(topic, false);
      const { TopicArn: topicArn } = await sns.send(
        new CreateTopicCommand({ Name: name, Tags: [{ Key: 'dapr-topic-name', Value: name }] }),
      );
      await vi.waitFor(
        async () => {
          const subs = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
          expect(subs.Subscriptions?.length ?? 0).toBeGreaterThan(0);
        },
        { timeout: 30_000, interval: 200 },
      );
      let nextBatch = 0;
      const publishing = Promise.all(
        Array.from({ length: PUBLISHERS }, async () => {
          for (let i = nextBatch; i < MESSAGES; i = nextBatch) {
            nextBatch += 10;
            const entries = Array.from({ length: Math.min(10, MESSAGES - i) }, (_, j) => ({
              Id: String(j),
              Message: `msg-${i + j}`,
            }));
            const out = await sns.send(
              new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: entries }),
            );
            expect(out.Failed ?? []).toEqual([]);
          }
        }),
      );
      const t0 = performance.now();
      const phase = (what: string) =>
        console.info(
          `[kill-restart] ${what} after ${Math.round(performance.now() - t0)} ms (handled ${deliveries.size})`,
        );
      await vi.waitFor(() => expect(handled).toBeGreaterThanOrEqual(KILL_AFTER), {
        timeout: 30_000 + MESSAGES * 60,
        interval: 5,
      });
      phase('kill');
      await plugin.kill();
      const handledAtKill = deliveries.size;
      const killedAt = performance.now();
      await publishing;
      phase('all published');

      plugin = await startPlugin(socketPath);
      await attach(handler);
      await vi
        .waitFor(() => expect(deliveries.size).toBe(MESSAGES), { timeout: 30_000 + MESSAGES * 120, interval: 50 })
        .catch(() => {});

      const lost = Array.from({ length: MESSAGES }, (_, n) => n).filter((n) => !deliveries.has(n));
      const duplicates = handled - deliveries.size;
      console.info(
        `[kill-restart] ${MESSAGES} messages: killed after ${handledAtKill} handled; lost ${lost.length}, ` +
          `duplicate deliveries ${duplicates}; all handled ${Math.round(performance.now() - killedAt)} ms after the kill`,
      );
      expect(lost, `lost messages, e.g. ${lost.slice(0, 10).join(', ')}`).toEqual([]);
      expect(handledAtKill).toBeLessThan(MESSAGES);
    },
    60_000 + MESSAGES * 200,
  );
});
