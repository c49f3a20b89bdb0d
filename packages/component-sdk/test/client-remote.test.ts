// The daprd-like remote components: call sequences (Init → Features/ListOperations), feature gating, conversions.
import {
  type BulkPublishRequest,
  defineComponent,
  type InvokeRequest,
  NotFoundError,
  type PublishRequest,
  type StateStore,
  UnimplementedError,
} from '@daprkit/component-sdk';
import {
  listServices,
  remoteInputBinding,
  remoteOutputBinding,
  remotePubSub,
  remoteSecretStore,
  remoteStateStore,
} from '@daprkit/component-sdk/client';
import { startTestServer, type TestServer } from '@daprkit/component-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const invoked: InvokeRequest[] = [];
const published: (PublishRequest | BulkPublishRequest)[] = [];

const definitions = [
  defineComponent({
    kind: 'outputBinding',
    socketName: 'remote',
    types: [],
    packageName: 't',
    version: '0',
    create: () => ({
      async init() {},
      operations: () => ['create', 'get'],
      async invoke(request: InvokeRequest) {
        invoked.push(request);
        return { data: Buffer.from(`done:${request.operation}`), metadata: { id: '7' }, contentType: 'text/plain' };
      },
    }),
  }),
  defineComponent({
    kind: 'secretStore',
    socketName: 'remote',
    types: [],
    packageName: 't',
    version: '0',
    create: () => ({
      async init() {},
      features: () => ['MULTIPLE_KEY_VALUES_PER_SECRET'] as const,
      async getSecret({ name }: { name: string }) {
        if (name !== 'db') throw new NotFoundError(`secret '${name}' not found`);
        return { user: 'u', password: 'p' };
      },
      async bulkGetSecret() {
        return { db: { user: 'u' }, api: { api: 'k' } };
      },
    }),
  }),
  defineComponent({
    kind: 'pubsub',
    socketName: 'remote',
    types: [],
    packageName: 't',
    version: '0',
    create: ({ instanceName }) => ({
      async init() {},
      features: () => [],
      async publish(request: PublishRequest) {
        published.push(request);
      },
      async subscribe() {},
      // Only the 'bulk' instance can bulk publish: feature gating follows each instance's own methods.
      ...(instanceName === 'bulk'
        ? {
            async bulkPublish(request: BulkPublishRequest) {
              published.push(request);
              return { failedEntries: [{ entryId: request.entries[1]!.entryId, error: 'too big' }] };
            },
          }
        : {}),
    }),
  }),
  defineComponent({
    kind: 'state',
    socketName: 'remote',
    types: [],
    packageName: 't',
    version: '0',
    create: (): StateStore & { transact(): Promise<void>; multiMaxSize(): number } => ({
      async init() {},
      features: () => [],
      async get() {
        return {};
      },
      async set() {},
      async delete() {},
      async transact() {},
      multiMaxSize() {
        throw new Error('cannot tell');
      },
    }),
  }),
];

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(definitions);
});
afterAll(async () => {
  await server.close();
});

describe('remote output binding', () => {
  it('caches ListOperations at init and refuses other operations without calling the component', async () => {
    const binding = remoteOutputBinding({ socketPath: server.socketPath(), instanceName: 'out' });
    expect(binding.operations()).toEqual([]);
    await binding.init({});
    expect(binding.operations()).toEqual(['create', 'get']);
    const response = await binding.invoke({ operation: 'get', data: Buffer.from('q'), metadata: { a: 'b' } });
    expect(response).toEqual({ data: Buffer.from('done:get'), metadata: { id: '7' }, contentType: 'text/plain' });
    expect(invoked).toEqual([{ operation: 'get', data: Buffer.from('q'), metadata: { a: 'b' } }]);
    await expect(binding.invoke({ operation: 'Get', data: Buffer.alloc(0), metadata: {} })).rejects.toThrow(
      "output binding 'out' does not support operation 'Get'; supported operations: create, get",
    );
    expect(invoked).toHaveLength(1);
    await binding.close();
  });
});

describe('remote secret store', () => {
  it('gets one secret, all secrets, features; a missing secret is NOT_FOUND', async () => {
    const secrets = remoteSecretStore({ socketPath: server.socketPath(), instanceName: 'vault' });
    await secrets.init({});
    expect(secrets.features()).toEqual(['MULTIPLE_KEY_VALUES_PER_SECRET']);
    expect(await secrets.getSecret({ name: 'db', metadata: { namespace: 'ns' } })).toEqual({
      user: 'u',
      password: 'p',
    });
    await expect(secrets.getSecret({ name: 'nope', metadata: {} })).rejects.toBeInstanceOf(NotFoundError);
    expect(await secrets.bulkGetSecret({ metadata: {} })).toEqual({ db: { user: 'u' }, api: { api: 'k' } });
    await secrets.close();
  });
});

describe('remote pub/sub', () => {
  it('has bulkPublish only when the instance declares BULK_PUBSUB, and returns only failed entries', async () => {
    const plain = remotePubSub({ socketPath: server.socketPath(), instanceName: 'plain' });
    await plain.init({});
    expect(plain.features()).toEqual([]);
    expect(plain.bulkPublish).toBeUndefined();
    await plain.publish({
      data: Buffer.from('{}'),
      pubsubName: 'plain',
      topic: 'orders',
      metadata: { rawPayload: 'true' },
    });
    expect(published.at(-1)).toEqual({
      data: Buffer.from('{}'),
      pubsubName: 'plain',
      topic: 'orders',
      metadata: { rawPayload: 'true' },
      contentType: undefined,
    });

    const bulk = remotePubSub({ socketPath: server.socketPath(), instanceName: 'bulk' });
    await bulk.init({});
    expect(bulk.features()).toEqual(['BULK_PUBSUB']);
    const result = await bulk.bulkPublish!({
      pubsubName: 'bulk',
      topic: 't',
      metadata: {},
      entries: [
        { entryId: 'a', event: Buffer.from('1'), contentType: 'application/json', metadata: {} },
        { entryId: 'b', event: Buffer.from('2'), metadata: { k: 'v' } },
      ],
    });
    expect(result).toEqual({ failedEntries: [{ entryId: 'b', error: 'too big' }] });
    expect((published.at(-1) as BulkPublishRequest).entries.map((e) => [e.entryId, e.contentType, e.metadata])).toEqual(
      [
        ['a', 'application/json', {}],
        ['b', undefined, { k: 'v' }],
      ],
    );
    await plain.close();
    await bulk.close();
  });
});

describe('remote state store', () => {
  it('treats a failing MultiMaxSize as unlimited (-1), like daprd', async () => {
    const store = remoteStateStore({ socketPath: server.socketPath(), instanceName: 'tx' });
    await store.init({});
    expect(store.features()).toEqual(['TRANSACTIONAL']);
    expect(store.multiMaxSize?.()).toBe(-1);
    await expect(store.transact!({ operations: [], metadata: {} })).resolves.toBeUndefined();
    await store.close();
  });

  it('surfaces UNIMPLEMENTED for a kind the socket does not serve', async () => {
    const input = remoteInputBinding({ socketPath: server.socketPath(), instanceName: 'x' });
    await expect(input.init({})).rejects.toBeInstanceOf(UnimplementedError);
    await input.close();
  });
});

describe('listServices', () => {
  it('fails clearly when nothing listens on the path', async () => {
    await expect(listServices('/tmp/dk-does-not-exist.sock', { timeoutMs: 500 })).rejects.toThrow(
      /reflection on \/tmp\/dk-does-not-exist.sock failed/,
    );
  });
});
