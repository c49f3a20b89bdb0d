/**
 * The crash test: the plugin process is SIGKILLed while a daprd-like client is consuming, then restarted
 * on the same socket with the same consumerID. Every message must still be handled at least once.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { PubSubMessage } from '@daprkit/component-sdk';
import { type RemotePubSub, remotePubSub } from '@daprkit/component-sdk/client';
import { REDIS_HOST } from '@daprkit/redis-common/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureBuilt, type PluginProcess, startPlugin } from './support/plugin-process.js';
import { describeWithRedis, rawClient, waitUntil } from './support/redis.js';

const KILL_DB = 10;
const MESSAGES = 5000;
const KILL_AFTER_ACKS = 1500;

describeWithRedis('kill -9 and restart of the plugin process', () => {
  const run = randomUUID();
  const topic = `kill-restart-${run}`;
  const consumerID = `kill-${run}`;
  const folder = mkdtempSync('/tmp/dk-kill-');
  const socketPath = join(folder, 'daprkit-redis.sock');
  const properties = {
    redisHost: REDIS_HOST,
    redisDB: String(KILL_DB),
    consumerID,
    processingTimeout: '2s',
    redeliverInterval: '500ms',
  };
  let raw: Redis;
  let plugin: PluginProcess | undefined;
  const remotes: RemotePubSub[] = [];
  const subscriptions: AbortController[] = [];

  beforeAll(async () => {
    ensureBuilt();
    raw = rawClient(KILL_DB);
    await raw.connect();
  }, 180_000);

  afterAll(async () => {
    for (const subscription of subscriptions) subscription.abort();
    await Promise.all(remotes.map((remote) => remote.close()));
    await plugin?.kill();
    await raw?.del(topic);
    raw?.disconnect();
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
    const handler = async (message: PubSubMessage) => {
      const n = Number(Buffer.from(message.data).toString().slice('msg-'.length));
      deliveries.set(n, (deliveries.get(n) ?? 0) + 1);
      handled++;
    };
    const started = performance.now();
    plugin = await startPlugin(socketPath);
    await attach(handler);

    const publish = raw.pipeline();
    for (let n = 0; n < MESSAGES; n++) publish.xadd(topic, '*', 'data', `msg-${n}`);
    await publish.exec();

    await waitUntil(() => handled >= KILL_AFTER_ACKS, 30_000);
    await plugin.kill();
    const handledAtKill = deliveries.size;
    const killedAt = performance.now();

    plugin = await startPlugin(socketPath);
    await attach(handler);
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
    expect(duplicates).toBeGreaterThanOrEqual(0);
    // Every delivery ends acknowledged: nothing stays pending in the group.
    await waitUntil(async () => ((await raw.xpending(topic, consumerID)) as [number])[0] === 0, 10_000);
  }, 120_000);
});
