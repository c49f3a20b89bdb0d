// State store over a real unix socket: instance semantics (§2), every state RPC, wire presence rules.

import {
  type DeleteRequest,
  defineComponent,
  type GetRequest,
  type GetResponse,
  InvalidMetadataError,
  NotFoundError,
  type Metadata as Properties,
  type QueryRequest,
  type QueryResponse,
  type SetRequest,
  type StateFeature,
  type StateStore,
  type TransactionRequest,
  UnavailableError,
} from '@daprkit/component-sdk';
import { createTestClient, startTestServer, type TestServer } from '@daprkit/component-sdk/testing';
import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { methodDefinition, ServiceName } from '../src/server/proto.js';

const bytes = (text: string) => Buffer.from(text);
const text = (data: Uint8Array | undefined) => (data === undefined ? undefined : new TextDecoder().decode(data));

/** A Map-backed store that records what it was asked, with ETags, transactions and a tiny query. */
class FakeStore implements StateStore {
  static created: FakeStore[] = [];
  readonly rows = new Map<string, { data: Uint8Array; etag: string }>();
  properties: Properties | undefined;
  closed = 0;
  lastSet: SetRequest | undefined;
  lastDelete: DeleteRequest | undefined;
  lastGet: GetRequest | undefined;
  lastTransaction: TransactionRequest | undefined;
  lastQuery: QueryRequest | undefined;
  private version = 0;

  constructor(readonly instanceName: string) {
    FakeStore.created.push(this);
  }

  async init(properties: Properties) {
    if (properties.fail === 'metadata') throw new InvalidMetadataError('host', 'is required');
    if (properties.fail === 'connect')
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    this.properties = properties;
  }
  features(): StateFeature[] {
    return ['ETAG', 'DELETE_WITH_PREFIX', 'KEYS_LIKE'];
  }
  async get(request: GetRequest): Promise<GetResponse> {
    this.lastGet = request;
    if (request.key === 'broken') throw new UnavailableError('backend down');
    const row = this.rows.get(request.key);
    return row
      ? { data: row.data, etag: row.etag, metadata: { from: this.instanceName }, contentType: 'text/plain' }
      : {};
  }
  async set(request: SetRequest) {
    this.lastSet = request;
    this.rows.set(request.key, { data: request.value, etag: String(++this.version) });
  }
  async delete(request: DeleteRequest) {
    this.lastDelete = request;
    if (request.key === 'missing-ok') return;
    if (!this.rows.delete(request.key)) throw new NotFoundError(`no '${request.key}'`);
  }
  async deleteWithPrefix() {
    return { count: 0 };
  }
  async transact(request: TransactionRequest) {
    this.lastTransaction = request;
    for (const op of request.operations) {
      if (op.operation === 'upsert') await this.set(op.request);
      else this.rows.delete(op.request.key);
    }
  }
  async query(request: QueryRequest): Promise<QueryResponse> {
    this.lastQuery = request;
    return {
      items: [
        { key: 'app||q1', data: bytes('{"a":1}'), etag: 'e1' },
        { key: 'app||q2', error: 'bad row' },
      ],
      token: 'next',
    };
  }
  async close() {
    this.closed++;
  }
}

/** A store with only the required methods: no transact, no query, no multiMaxSize. */
const plainStore = (): StateStore => ({
  async init() {},
  features: () => [],
  async get() {
    return {};
  },
  async set() {},
  async delete() {},
});

const fakeDefinition = defineComponent({
  kind: 'state',
  socketName: 'fake-state',
  types: [],
  packageName: 'test',
  version: '0',
  create: ({ instanceName }) => new FakeStore(instanceName),
});
const plainDefinition = defineComponent({
  kind: 'state',
  socketName: 'plain-state',
  types: [],
  packageName: 'test',
  version: '0',
  create: plainStore,
});
const limitedDefinition = defineComponent({
  kind: 'state',
  socketName: 'limited-state',
  types: [],
  packageName: 'test',
  version: '0',
  create: () => Object.assign(plainStore(), { transact: async () => {}, multiMaxSize: () => 7 }),
});

/**
 * A daprd-less raw call: full control over the request message and the instance header (an array sends the header
 * once per value, as daprd does for a call made inside another component's stream context).
 */
function rawUnary<Res>(
  socketPath: string,
  service: ServiceName,
  method: string,
  request: object,
  instance?: string | string[],
) {
  const definition = methodDefinition<object, Res>(service, method);
  const client = new Client(`unix:${socketPath}`, credentials.createInsecure());
  const metadata = new Metadata();
  for (const value of instance === undefined ? [] : [instance].flat()) metadata.add('x-component-instance', value);
  return new Promise<{ response?: Res; error?: ServiceError }>((resolve) => {
    client.makeUnaryRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      request,
      metadata,
      (error, response) => {
        client.close();
        resolve(error ? { error } : { response: response as Res });
      },
    );
  });
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer([fakeDefinition, plainDefinition, limitedDefinition]);
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  FakeStore.created = [];
});

describe('instances', () => {
  it('takes the last x-component-instance value when the header came several times (daprd outbox relay)', async () => {
    const client = createTestClient(server.socketPath('fake-state'));
    await client.state('pubsub').init({});
    const store = client.state('outboxstore');
    await store.init({});
    await store.set({ key: 'marker', value: bytes('"0"'), metadata: {}, options: {} });
    const { response, error } = await rawUnary<{ data: Uint8Array }>(
      server.socketPath('fake-state'),
      ServiceName.StateStore,
      'Get',
      { key: 'marker', metadata: {} },
      ['pubsub', 'outboxstore'],
    );
    expect(error).toBeUndefined();
    expect(text(response!.data)).toBe('"0"');
    await client.close();
  });

  it('creates an instance on Init, keyed by the header, with the properties', async () => {
    const client = createTestClient(server.socketPath('fake-state'));
    const a = client.state('a');
    await a.init({ host: 'h1' });
    expect(FakeStore.created.map((s) => [s.instanceName, s.properties])).toEqual([['a', { host: 'h1' }]]);
    await a.set({ key: 'k', value: bytes('v'), metadata: {}, options: {} });
    const b = client.state('b');
    await b.init({});
    expect(await b.get({ key: 'k', metadata: {} })).toEqual({});
    expect(text((await a.get({ key: 'k', metadata: {} })).data)).toBe('v');
    await client.close();
  });

  it('advertises the declared and method-backed features, minus those with no wire RPC', async () => {
    const client = createTestClient(server.socketPath('fake-state'));
    const store = client.state('features');
    await store.init({});
    expect([...store.features()].sort()).toEqual(['ETAG', 'QUERY_API', 'TRANSACTIONAL']);
    expect(typeof store.transact).toBe('function');
    expect(typeof store.query).toBe('function');
    expect(store.multiMaxSize?.()).toBe(-1);

    const plain = createTestClient(server.socketPath('plain-state')).state('p');
    await plain.init({});
    expect(plain.features()).toEqual([]);
    expect(plain.transact).toBeUndefined();
    expect(plain.query).toBeUndefined();
    await plain.close();
    await client.close();
  });

  it('re-Init replaces the instance and closes the old object (hot reload)', async () => {
    const client = createTestClient(server.socketPath('fake-state'));
    const store = client.state('reload');
    await store.init({ generation: '1' });
    await store.set({ key: 'k', value: bytes('old'), metadata: {}, options: {} });
    await store.init({ generation: '2' });
    const [first, second] = FakeStore.created;
    expect(first!.closed).toBe(1);
    expect(second!.closed).toBe(0);
    expect(second!.properties).toEqual({ generation: '2' });
    expect(await store.get({ key: 'k', metadata: {} })).toEqual({});
    await client.close();
  });

  it('a failed Init stores nothing, closes the object and answers with the typed error code', async () => {
    const client = createTestClient(server.socketPath('fake-state'));
    const store = client.state('failing');
    await expect(store.init({ fail: 'metadata' })).rejects.toMatchObject({
      code: 3,
      message: "metadata 'host': is required",
    });
    await expect(store.init({ fail: 'connect' })).rejects.toMatchObject({ code: 14 });
    // Each failed object is closed (releasing whatever init half-opened) and never served.
    expect(FakeStore.created.map((s) => s.closed)).toEqual([1, 1]);
    await expect(store.get({ key: 'k', metadata: {} })).rejects.toMatchObject({ code: 9 });
    await client.close();
  });

  it('answers FAILED_PRECONDITION without details for an instance that was never initialised', async () => {
    const { error } = await rawUnary(
      server.socketPath('fake-state'),
      ServiceName.StateStore,
      'Get',
      { key: 'k' },
      'ghost',
    );
    expect(error?.code).toBe(9);
    expect(error?.details).toBe("instance 'ghost' is not initialised on socket fake-state (call Init first)");
    expect(error?.metadata.get('grpc-status-details-bin')).toEqual([]);
  });

  it('treats a missing header and an empty header as the same default instance', async () => {
    const path = server.socketPath('fake-state');
    await rawUnary(path, ServiceName.StateStore, 'Init', { metadata: { properties: {} } });
    await rawUnary(path, ServiceName.StateStore, 'Set', { key: 'd', value: bytes('default') }, '');
    const { response } = await rawUnary<{ data: Uint8Array }>(path, ServiceName.StateStore, 'Get', { key: 'd' });
    expect(text(response?.data)).toBe('default');
    expect(FakeStore.created.map((s) => s.instanceName)).toEqual(['']);
  });
});

describe('state RPCs', () => {
  const client = () => createTestClient(server.socketPath('fake-state'));

  it('Get/Set/Delete round-trip values, etags, options, metadata and content type', async () => {
    const c = client();
    const store = c.state('crud');
    await store.init({});
    const fake = FakeStore.created.at(-1)!;
    await store.set({
      key: 'app||k',
      value: bytes('"v"'),
      metadata: { ttlInSeconds: '5' },
      options: { concurrency: 'first-write', consistency: 'strong' },
      contentType: 'application/json',
    });
    expect(fake.lastSet).toEqual({
      key: 'app||k',
      value: expect.any(Uint8Array),
      etag: undefined,
      metadata: { ttlInSeconds: '5' },
      options: { concurrency: 'first-write', consistency: 'strong' },
      contentType: 'application/json',
    });
    expect(await store.get({ key: 'app||k', metadata: {}, consistency: 'eventual' })).toEqual({
      data: bytes('"v"'),
      etag: '1',
      metadata: { from: 'crud' },
      contentType: 'text/plain',
    });
    expect(fake.lastGet?.consistency).toBe('eventual');
    expect(await store.get({ key: 'nope', metadata: {} })).toEqual({});
    await store.delete({ key: 'app||k', etag: '1', metadata: {}, options: { concurrency: 'last-write' } });
    expect(fake.lastDelete).toEqual({ key: 'app||k', etag: '1', metadata: {}, options: { concurrency: 'last-write' } });
    await expect(store.delete({ key: 'app||k', metadata: {}, options: {} })).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.get({ key: 'broken', metadata: {} })).rejects.toMatchObject({
      code: 14,
      message: 'backend down',
    });
    await c.close();
  });

  it('decodes absent message fields as absent and an empty Etag message as no etag', async () => {
    const path = server.socketPath('fake-state');
    await rawUnary(path, ServiceName.StateStore, 'Init', { metadata: null }, 'presence');
    const fake = FakeStore.created.at(-1)!;
    expect(fake.properties).toEqual({});
    await rawUnary(path, ServiceName.StateStore, 'Set', { key: 'k' }, 'presence');
    expect(fake.lastSet).toMatchObject({
      key: 'k',
      etag: undefined,
      options: {},
      contentType: undefined,
      metadata: {},
    });
    expect(fake.lastSet?.value).toHaveLength(0);
    await rawUnary(
      path,
      ServiceName.StateStore,
      'Set',
      { key: 'k', etag: { value: '' }, options: { concurrency: 0, consistency: 0 } },
      'presence',
    );
    expect(fake.lastSet).toMatchObject({ etag: undefined, options: {} });
    await rawUnary(path, ServiceName.StateStore, 'Delete', { key: 'missing-ok', etag: { value: 'e9' } }, 'presence');
    expect(fake.lastDelete).toMatchObject({ etag: 'e9', options: {} });
    // A stored row without etag comes back without an Etag message at all (never an empty one).
    const { response } = await rawUnary<{ etag: unknown }>(
      path,
      ServiceName.StateStore,
      'Get',
      { key: 'none' },
      'presence',
    );
    expect(response?.etag).toBeNull();
  });

  it('BulkGet answers one item per key, in order, with per-item errors; BulkSet/BulkDelete apply', async () => {
    const c = client();
    const store = c.state('bulk');
    await store.init({});
    await store.bulkSet([
      { key: 'a', value: bytes('1'), metadata: {}, options: {} },
      { key: 'b', value: bytes('2'), metadata: {}, options: {} },
    ]);
    const items = await store.bulkGet([
      { key: 'b', metadata: {} },
      { key: 'missing', metadata: {} },
      { key: 'broken', metadata: {} },
      { key: 'a', metadata: {} },
    ]);
    expect(items.map((i) => [i.key, text(i.data), i.error])).toEqual([
      ['b', '2', undefined],
      ['missing', undefined, undefined],
      ['broken', undefined, 'backend down'],
      ['a', '1', undefined],
    ]);
    await store.bulkDelete([
      { key: 'a', metadata: {}, options: {} },
      { key: 'b', metadata: {}, options: {} },
    ]);
    expect(FakeStore.created.at(-1)!.rows.size).toBe(0);
    const failed = await store
      .bulkDelete([
        { key: 'a', metadata: {}, options: {} },
        { key: 'b', metadata: {}, options: {} },
      ])
      .catch((e: unknown) => e);
    expect(failed).toMatchObject({ code: 5, message: "failed on key 'a': no 'a'; failed on key 'b': no 'b'" });
    await c.close();
  });

  it('Transact hands over the operations in order with their metadata', async () => {
    const c = client();
    const store = c.state('tx');
    await store.init({});
    await store.transact!({
      operations: [
        {
          operation: 'upsert',
          request: {
            key: 'x',
            value: bytes('1'),
            etag: 'e',
            metadata: { m: '1' },
            options: { concurrency: 'first-write' },
          },
        },
        { operation: 'delete', request: { key: 'y', metadata: {}, options: {} } },
        { operation: 'upsert', request: { key: 'z', value: bytes('3'), metadata: {}, options: {} } },
      ],
      metadata: { partitionKey: 'p' },
    });
    const seen = FakeStore.created.at(-1)!.lastTransaction!;
    expect(seen.metadata).toEqual({ partitionKey: 'p' });
    expect(seen.operations.map((op) => [op.operation, op.request.key, op.request.etag])).toEqual([
      ['upsert', 'x', 'e'],
      ['delete', 'y', undefined],
      ['upsert', 'z', undefined],
    ]);
    expect(seen.operations[0]!.request.options).toEqual({ concurrency: 'first-write' });
    await c.close();
  });

  it('Query decodes JSON filter operands, sorting and pagination, and returns keys untouched', async () => {
    const c = client();
    const store = c.state('query');
    await store.init({});
    const response = await store.query!({
      query: {
        filter: { AND: [{ EQ: { state: 'CA' } }, { IN: { person: ['a', 'b'] } }] },
        sort: [
          { key: 'person.org', order: 'DESC' },
          { key: 'state', order: 'ASC' },
        ],
        page: { limit: 3, token: 't0' },
      },
      metadata: { contentType: 'application/json' },
    });
    expect(FakeStore.created.at(-1)!.lastQuery).toEqual({
      query: {
        filter: { AND: [{ EQ: { state: 'CA' } }, { IN: { person: ['a', 'b'] } }] },
        sort: [
          { key: 'person.org', order: 'DESC' },
          { key: 'state', order: 'ASC' },
        ],
        page: { limit: 3, token: 't0' },
      },
      metadata: { contentType: 'application/json' },
    });
    expect(response).toEqual({
      items: [
        { key: 'app||q1', data: bytes('{"a":1}'), etag: 'e1' },
        { key: 'app||q2', error: 'bad row' },
      ],
      token: 'next',
    });
    await c.close();
  });

  it('Query with daprd-shaped raw Anys: empty type URL, one JSON value per top-level key; a bad operand is INVALID_ARGUMENT', async () => {
    const path = server.socketPath('fake-state');
    await rawUnary(path, ServiceName.StateStore, 'Init', {}, 'rawq');
    const filter = {
      EQ: { type_url: '', value: bytes('{"state":"CA"}') },
      OR: { type_url: '', value: bytes('[{"GT":{"n":1}}]') },
    };
    const ok = await rawUnary(
      path,
      ServiceName.QueriableStateStore,
      'Query',
      { query: { filter, sort: [{ key: 'n', order: 5 }] } },
      'rawq',
    );
    expect(ok.error).toBeUndefined();
    expect(FakeStore.created.at(-1)!.lastQuery!.query).toEqual({
      filter: { EQ: { state: 'CA' }, OR: [{ GT: { n: 1 } }] },
      sort: [{ key: 'n', order: 'ASC' }],
      page: { limit: 0 },
    });
    const bad = await rawUnary(
      path,
      ServiceName.QueriableStateStore,
      'Query',
      { query: { filter: { EQ: { type_url: '', value: bytes('{nope') } } } },
      'rawq',
    );
    expect(bad.error?.code).toBe(3);
    expect(bad.error?.details).toMatch(/query filter 'EQ' is not valid JSON/);
  });

  it('Transact/Query are UNIMPLEMENTED per instance when its store lacks them; MultiMaxSize is -1 or the store limit', async () => {
    const path = server.socketPath('plain-state');
    await rawUnary(path, ServiceName.StateStore, 'Init', {}, 'p');
    const tx = await rawUnary(path, ServiceName.TransactionalStateStore, 'Transact', { operations: [] }, 'p');
    expect(tx.error?.code).toBe(12);
    expect(tx.error?.details).toMatch(/does not support transactions/);
    const q = await rawUnary(path, ServiceName.QueriableStateStore, 'Query', {}, 'p');
    expect(q.error?.code).toBe(12);
    const max = await rawUnary<{ maxSize: number }>(
      path,
      ServiceName.TransactionalStoreMultiMaxSize,
      'MultiMaxSize',
      {},
      'p',
    );
    expect(max.response).toEqual({ maxSize: -1 });

    const limited = createTestClient(server.socketPath('limited-state')).state('l');
    await limited.init({});
    expect(limited.features()).toEqual(['TRANSACTIONAL']);
    expect(limited.multiMaxSize?.()).toBe(7);
    await limited.close();
  });

  it('Ping answers OK for an initialised instance', async () => {
    const store = createTestClient(server.socketPath('plain-state')).state('ping');
    await expect(store.ping()).rejects.toMatchObject({ code: 9 });
    await store.init({});
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
  });
});
