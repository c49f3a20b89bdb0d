// A plugin process that restarts under a live client: the remote components re-Init the lost instance once
// (shared by concurrent callers), retry the refused call, and reopen their streams; an aborted stream stays closed.
import {
  type BindingEventHandler,
  defineComponent,
  InvalidArgumentError,
  type MessageHandler,
  type PublishRequest,
  type SubscribeRequest,
} from '@daprkit/component-sdk';
import { remoteInputBinding, remotePubSub, remoteStateStore } from '@daprkit/component-sdk/client';
import { startTestServer, type TestServer, waitFor } from '@daprkit/component-sdk/testing';
import { afterEach, describe, expect, it } from 'vitest';

const inits: string[] = [];
let subscribeCalls = 0;
/** Live subscriptions and Read streams of the current server generation. */
const subscribers = new Set<MessageHandler>();
const readers = new Set<BindingEventHandler>();

const definitions = [
  defineComponent({
    kind: 'state',
    socketName: 'restart',
    types: [],
    packageName: 't',
    version: '0',
    create: () => {
      const data = new Map<string, Buffer>();
      return {
        async init() {
          inits.push('state');
        },
        features: () => [],
        async get({ key }: { key: string }) {
          return { data: data.get(key), metadata: {} };
        },
        async set({ key, value }: { key: string; value: Uint8Array }) {
          data.set(key, Buffer.from(value));
        },
        async delete({ key }: { key: string }) {
          data.delete(key);
        },
      };
    },
  }),
  defineComponent({
    kind: 'pubsub',
    socketName: 'restart',
    types: [],
    packageName: 't',
    version: '0',
    create: () => ({
      async init() {
        inits.push('pubsub');
      },
      features: () => [],
      async publish(request: PublishRequest) {
        for (const handler of subscribers)
          await handler({ topic: request.topic, data: request.data, metadata: {}, contentType: 'text/plain' });
      },
      async subscribe(request: SubscribeRequest, handler: MessageHandler, signal: AbortSignal) {
        subscribeCalls++;
        if (request.topic === 'refused') throw new InvalidArgumentError("topic 'refused' is not allowed");
        subscribers.add(handler);
        signal.addEventListener('abort', () => subscribers.delete(handler), { once: true });
      },
    }),
  }),
  defineComponent({
    kind: 'inputBinding',
    socketName: 'restart',
    types: [],
    packageName: 't',
    version: '0',
    create: () => ({
      async init() {
        inits.push('input');
      },
      async read(handler: BindingEventHandler, signal: AbortSignal) {
        readers.add(handler);
        signal.addEventListener('abort', () => readers.delete(handler), { once: true });
      },
    }),
  }),
];

let folder: string;
let server: TestServer | undefined;

async function restartServer(): Promise<void> {
  await server?.close();
  subscribers.clear();
  readers.clear();
  server = await startTestServer(definitions, folder === undefined ? {} : { folder });
  folder = server.folder;
}

const waitUntil = (check: () => boolean, what: string) => waitFor(check, 10_000, what, { intervalMs: 20 });

afterEach(async () => {
  await server?.close();
  server = undefined;
  inits.length = 0;
});

describe('remote components across a plugin restart', () => {
  it('does not reopen a subscription the component refused (a status that would not change)', async () => {
    await restartServer();
    const pubsub = remotePubSub({ socketPath: server!.socketPath(), instanceName: 'ps' });
    await pubsub.init({});
    subscribeCalls = 0;
    const abort = new AbortController();
    await pubsub.subscribe({ topic: 'refused', metadata: {} }, async () => {}, abort.signal);
    await waitUntil(() => subscribeCalls === 1, 'the one subscribe attempt');
    await new Promise((r) => setTimeout(r, 600)); // several reopen delays (100 ms, 200 ms, ...) would have passed
    expect(subscribeCalls).toBe(1);
    abort.abort();
    await pubsub.close();
  });

  it('re-Inits the lost instance once for concurrent callers and retries the refused calls', async () => {
    await restartServer();
    const state = remoteStateStore({ socketPath: server!.socketPath(), instanceName: 'store' });
    await state.init({ any: 'thing' });
    await state.set({ key: 'a', value: Buffer.from('1'), metadata: {}, options: {} });
    await restartServer();
    inits.length = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        state.set({ key: `k${i}`, value: Buffer.from('v'), metadata: {}, options: {} }),
      ),
    );
    expect(results).toHaveLength(20);
    expect(inits).toEqual(['state']);
    // The restarted plugin is a new process: what it held in memory is gone, the instance works.
    expect((await state.get({ key: 'a', metadata: {} })).data).toBeUndefined();
    expect(Buffer.from((await state.get({ key: 'k7', metadata: {} })).data!).toString()).toBe('v');
    await state.close();
  });

  it('fails while the plugin is down, then recovers without a new init() from the caller', async () => {
    await restartServer();
    const state = remoteStateStore({ socketPath: server!.socketPath(), instanceName: '' });
    await state.init({});
    await server!.close();
    server = undefined;
    await expect(state.get({ key: 'a', metadata: {} })).rejects.toMatchObject({ code: 14 }); // UNAVAILABLE
    await restartServer();
    let recovered = false;
    const deadline = Date.now() + 10_000;
    while (!recovered && Date.now() < deadline) {
      recovered = await state.get({ key: 'a', metadata: {} }).then(
        () => true,
        () => false,
      );
      if (!recovered) await new Promise((r) => setTimeout(r, 50));
    }
    expect(recovered).toBe(true);
    await state.close();
  });

  it('reopens a subscription and a Read stream on the restarted plugin', async () => {
    await restartServer();
    const pubsub = remotePubSub({ socketPath: server!.socketPath(), instanceName: 'ps' });
    const input = remoteInputBinding({ socketPath: server!.socketPath(), instanceName: 'in' });
    await pubsub.init({});
    await input.init({});
    const received: string[] = [];
    const events: string[] = [];
    const abort = new AbortController();
    await pubsub.subscribe(
      { topic: 'orders', metadata: {} },
      async (m) => {
        received.push(Buffer.from(m.data).toString());
      },
      abort.signal,
    );
    await input.read(async (e) => {
      events.push(Buffer.from(e.data).toString());
      return undefined;
    }, abort.signal);
    await waitUntil(() => subscribers.size === 1 && readers.size === 1, 'first streams');
    await pubsub.publish({ pubsubName: 'ps', topic: 'orders', data: Buffer.from('before'), metadata: {} });
    await waitUntil(() => received.length === 1, 'message before the restart');

    await restartServer();
    await waitUntil(() => subscribers.size === 1 && readers.size === 1, 'streams reopened on the new process');
    expect(inits.filter((k) => k !== 'state').sort()).toEqual(['input', 'input', 'pubsub', 'pubsub']);
    await pubsub.publish({ pubsubName: 'ps', topic: 'orders', data: Buffer.from('after'), metadata: {} });
    for (const handler of readers) void handler({ data: Buffer.from('event'), metadata: {} });
    await waitUntil(() => received.length === 2 && events.length === 1, 'delivery after the restart');
    expect(received).toEqual(['before', 'after']);

    // Aborted: the streams close and stay closed, even across another restart.
    abort.abort();
    await waitUntil(() => subscribers.size === 0 && readers.size === 0, 'streams closed');
    await restartServer();
    await new Promise((r) => setTimeout(r, 500));
    expect(subscribers.size + readers.size).toBe(0);
    await pubsub.close();
    await input.close();
  });
});
