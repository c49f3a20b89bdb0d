// How the remote pub/sub hands messages to the handler: one at a time by default (daprd's PullMessages loop), or
// each as it arrives with `deliverConcurrently` (the component's own concurrency then applies over the socket).
import { defineComponent, type MessageHandler, type SubscribeRequest } from '@daprkit/component-sdk';
import { remotePubSub } from '@daprkit/component-sdk/client';
import { startTestServer, type TestServer } from '@daprkit/component-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MESSAGES = 5;
/** A component that hands out MESSAGES messages at once (without waiting for acks) and records the outcomes. */
const outcomes: string[] = [];
const definition = defineComponent({
  kind: 'pubsub',
  socketName: 'burst',
  types: [],
  packageName: 't',
  version: '0',
  create: () => ({
    async init() {},
    features: () => [],
    async publish() {},
    async subscribe(request: SubscribeRequest, handler: MessageHandler) {
      for (let i = 0; i < MESSAGES; i++)
        void handler({ topic: request.topic, data: Buffer.from(String(i)), metadata: {} }).then(
          () => outcomes.push(`ack ${i}`),
          (err: Error) => outcomes.push(`nack ${i}: ${err.message}`),
        );
    },
  }),
});

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer([definition]);
});
afterAll(async () => {
  await server.close();
});

async function deliver(deliverConcurrently: boolean) {
  outcomes.length = 0;
  const pubsub = remotePubSub({ socketPath: server.socketPath(), instanceName: '', deliverConcurrently });
  await pubsub.init({});
  let inFlight = 0;
  let maxInFlight = 0;
  const abort = new AbortController();
  await pubsub.subscribe(
    { topic: 't', metadata: {} },
    async () => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((r) => setTimeout(r, 50));
      inFlight--;
    },
    abort.signal,
  );
  const deadline = Date.now() + 5000;
  while (outcomes.length < MESSAGES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  abort.abort();
  await pubsub.close();
  return { maxInFlight, outcomes: [...outcomes].sort() };
}

describe('remote pub/sub delivery', () => {
  it('handles one message at a time by default, like daprd', async () => {
    const { maxInFlight, outcomes } = await deliver(false);
    expect(maxInFlight).toBe(1);
    expect(outcomes).toEqual(Array.from({ length: MESSAGES }, (_, i) => `ack ${i}`));
  });

  it('runs handlers side by side with deliverConcurrently, acking each by id', async () => {
    const { maxInFlight, outcomes } = await deliver(true);
    expect(maxInFlight).toBe(MESSAGES);
    expect(outcomes).toEqual(Array.from({ length: MESSAGES }, (_, i) => `ack ${i}`));
  });
});
