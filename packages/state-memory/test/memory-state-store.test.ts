import { readFileSync } from 'node:fs';
import {
  BulkError,
  bulk,
  type DeleteRequest,
  ETagMismatchError,
  FailedPreconditionError,
  InvalidArgumentError,
  InvalidMetadataError,
  isETagError,
  resolveStateFeatures,
  type SetRequest,
  StateFeature,
} from '@daprkit/component-sdk';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryStateStore, definitions, MemoryStateStore, VERSION } from '../src/index.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const json = (value: unknown) => encoder.encode(JSON.stringify(value));
const parsed = (data: Uint8Array | undefined) => (data === undefined ? undefined : JSON.parse(decoder.decode(data)));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Moves `Date.now()` forward without waiting; expiry is judged by the clock on every read. */
const advanceClock = (ms: number) => {
  const now = Date.now();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(now + ms);
};

const setRequest = (key: string, value: unknown, extra: Partial<SetRequest> = {}): SetRequest => ({
  key,
  value: value instanceof Uint8Array ? value : json(value),
  metadata: {},
  options: {},
  ...extra,
});
const deleteRequest = (key: string, extra: Partial<DeleteRequest> = {}): DeleteRequest => ({
  key,
  metadata: {},
  options: {},
  ...extra,
});

let store: MemoryStateStore;
beforeEach(async () => {
  store = await createMemoryStateStore();
});
afterEach(async () => {
  vi.useRealTimers();
  await store.close();
});

const getValue = async (key: string) => parsed((await store.get({ key, metadata: {} })).data);
const getETag = async (key: string) => (await store.get({ key, metadata: {} })).etag;

describe('CRUD and bytes', () => {
  it('sets, gets and deletes; a missing key has no data, no etag and no error', async () => {
    await store.set(setRequest('app||a', { hello: 'world' }));
    expect(await getValue('app||a')).toEqual({ hello: 'world' });
    await store.delete(deleteRequest('app||a'));
    expect(await store.get({ key: 'app||a', metadata: {} })).toEqual({});
    await store.delete(deleteRequest('app||never-written'));
  });

  it('returns the stored bytes unchanged, including non-UTF-8 protobuf bytes', async () => {
    const proto = Uint8Array.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    await store.set(setRequest('proto', proto));
    const { data } = await store.get({ key: 'proto', metadata: {} });
    expect(data).toEqual(proto);
    expect(data?.length).toBe(11);
  });

  it('round-trips the content type from the field or from metadata', async () => {
    await store.set(setRequest('ct1', 1, { contentType: 'application/json' }));
    await store.set(setRequest('ct2', 2, { metadata: { contentType: 'text/plain' } }));
    await store.set(setRequest('ct3', 3));
    expect((await store.get({ key: 'ct1', metadata: {} })).contentType).toBe('application/json');
    expect((await store.get({ key: 'ct2', metadata: {} })).contentType).toBe('text/plain');
    expect((await store.get({ key: 'ct3', metadata: {} })).contentType).toBeUndefined();
  });

  it('bulk operations through the SDK defaults: one item per key, not atomic', async () => {
    await bulk.set(store, [setRequest('b1', 1), setRequest('b2', 2)]);
    const items = await bulk.get(store, [
      { key: 'b1', metadata: {} },
      { key: 'missing', metadata: {} },
    ]);
    expect(items.map((i) => [i.key, parsed(i.data), i.error])).toEqual([
      ['b1', 1, undefined],
      ['missing', undefined, undefined],
    ]);
    const e1 = await getETag('b1');
    const failure = await bulk
      .set(store, [setRequest('b1', 10, { etag: 'bad-etag' }), setRequest('b2', 20)])
      .catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(BulkError);
    expect((failure as BulkError).errors.map((e) => [e.key, e.etagError()?.kind])).toEqual([['b1', 'mismatch']]);
    expect([await getValue('b1'), await getETag('b1'), await getValue('b2')]).toEqual([1, e1, 20]);
  });
});

describe('ETags and concurrency', () => {
  it('every write gets a new etag; a matching etag writes, a stale or unknown one is a mismatch', async () => {
    await store.set(setRequest('e', 'first'));
    const e1 = await getETag('e');
    expect(e1).toMatch(/^[0-9a-f-]{36}$/);
    await store.set(setRequest('e', 'second', { etag: e1 }));
    const e2 = await getETag('e');
    expect(e2).not.toBe(e1);

    const stale = await store.set(setRequest('e', 'third', { etag: e1 })).catch((err: unknown) => err);
    expect(isETagError(stale, 'mismatch')).toBe(true);
    expect((stale as Error).message).toBe('state etag not match for key=e');
    await expect(store.set(setRequest('e', 'third', { etag: 'bad-etag' }))).rejects.toBeInstanceOf(ETagMismatchError);
    await expect(store.set(setRequest('missing', 'x', { etag: e2 }))).rejects.toThrow(
      'state not exist or expired for key=missing',
    );
    expect([await getValue('e'), await getETag('e')]).toEqual(['second', e2]);
  });

  it('an empty etag is no guard', async () => {
    await store.set(setRequest('e', 1));
    await store.set(setRequest('e', 2, { etag: '' }));
    expect(await getValue('e')).toBe(2);
  });

  it('first-write without an etag is insert-only; last-write and unspecified overwrite', async () => {
    const firstWrite = { options: { concurrency: 'first-write', consistency: 'strong' } } as const;
    await store.set(setRequest('fw', 'one', firstWrite));
    await expect(store.set(setRequest('fw', 'two', firstWrite))).rejects.toBeInstanceOf(ETagMismatchError);
    await expect(store.set(setRequest('fw', 'two', { ...firstWrite, etag: '' }))).rejects.toBeInstanceOf(
      ETagMismatchError,
    );
    const e1 = await getETag('fw');
    await store.set(setRequest('fw', 'two', { ...firstWrite, etag: e1 }));
    await expect(store.set(setRequest('fw', 'three', { ...firstWrite, etag: e1 }))).rejects.toBeInstanceOf(
      ETagMismatchError,
    );
    await store.set(setRequest('fw', 'four', { options: { concurrency: 'last-write' } }));
    await store.set(setRequest('fw', 'five'));
    expect(await getValue('fw')).toBe('five');
  });

  it('delete with an etag must match; a missing key with an etag is a mismatch', async () => {
    await store.set(setRequest('d', 1));
    const etag = await getETag('d');
    await expect(store.delete(deleteRequest('d', { etag: 'bad-etag' }))).rejects.toBeInstanceOf(ETagMismatchError);
    expect(await getValue('d')).toBe(1);
    await store.delete(deleteRequest('d', { etag }));
    expect(await store.get({ key: 'd', metadata: {} })).toEqual({});
    await expect(store.delete(deleteRequest('d', { etag }))).rejects.toThrow('state not exist or expired for key=d');
  });

  it('8 concurrent writers × 50 read-modify-write increments with retries end at exactly 400', async () => {
    let conflicts = 0;
    const increment = async () => {
      for (;;) {
        const { data, etag } = await store.get({ key: 'counter', metadata: {} });
        const next = (data === undefined ? 0 : parsed(data)) + 1;
        const guard = etag === undefined ? { options: { concurrency: 'first-write' as const } } : { etag };
        try {
          await store.set(setRequest('counter', next, guard));
          return;
        } catch (err) {
          if (!(err instanceof ETagMismatchError)) throw err;
          conflicts++;
        }
      }
    };
    const writer = async () => {
      for (let i = 0; i < 50; i++) await increment();
    };
    await Promise.all(Array.from({ length: 8 }, writer));
    expect(await getValue('counter')).toBe(400);
    expect(conflicts).toBeGreaterThan(0); // the writers really did race
  });
});

describe('TTL', () => {
  const ttl = (seconds: string) => ({ metadata: { ttlInSeconds: seconds } });
  const expireTime = async (key: string) => (await store.get({ key, metadata: {} })).metadata?.ttlExpireTime;

  it('rejects a malformed TTL without writing', async () => {
    await expect(store.set(setRequest('t', 'x', ttl('foo')))).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(store.set(setRequest('t', 'x', ttl('-2')))).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await store.get({ key: 't', metadata: {} })).toEqual({});
  });

  it('an item expires on read within 3 s when polled every 200 ms', async () => {
    await store.set(setRequest('t', '⏱️', ttl('2')));
    expect(await getValue('t')).toBe('⏱️');
    const started = Date.now();
    let data: Uint8Array | undefined = new Uint8Array(1);
    while (data !== undefined && Date.now() - started < 3000) {
      await sleep(200);
      ({ data } = await store.get({ key: 't', metadata: {} }));
    }
    expect(data).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1800);
  });

  it('reports ttlExpireTime ≈ now + TTL, and none without a TTL', async () => {
    await store.set(setRequest('long', 'v', ttl('3600')));
    const reported = Date.parse((await expireTime('long'))!);
    expect(Math.abs(reported - (Date.now() + 3_600_000))).toBeLessThan(5000);
    expect(await expireTime('long')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    await store.set(setRequest('none', 'v'));
    expect((await store.get({ key: 'none', metadata: {} })).metadata).toBeUndefined();
  });

  it('-1 and an omitted ttlInSeconds both clear a previous expiry', async () => {
    await store.set(setRequest('m1', 'v', ttl('2')));
    expect(await expireTime('m1')).toBeDefined();
    await store.set(setRequest('m1', 'v', ttl('-1')));
    expect(await expireTime('m1')).toBeUndefined();
    await store.set(setRequest('m1', 'v', ttl('2')));
    expect(await expireTime('m1')).toBeDefined();
    await store.set(setRequest('m1', 'v'));
    expect(await expireTime('m1')).toBeUndefined();
    advanceClock(3000);
    expect(await getValue('m1')).toBe('v');
  });

  it('bulkGet reports the expiry of each item', async () => {
    await bulk.set(store, [setRequest('tb1', '123', ttl('3600')), setRequest('tb2', '234', ttl('3600'))]);
    const items = await bulk.get(store, [
      { key: 'tb1', metadata: {} },
      { key: 'tb2', metadata: {} },
    ]);
    expect(items.map((i) => decoder.decode(i.data))).toEqual(['"123"', '"234"']);
    for (const item of items) expect(Date.parse(item.metadata!.ttlExpireTime!)).toBeGreaterThan(Date.now());
  });

  it('an expired key can be written again with first-write and fails an etag check', async () => {
    await store.set(setRequest('x', 1, ttl('1')));
    const etag = await getETag('x');
    advanceClock(1000);
    await expect(store.set(setRequest('x', 2, { etag }))).rejects.toThrow('state not exist or expired for key=x');
    await store.set(setRequest('x', 3, { options: { concurrency: 'first-write' } }));
    expect(await getValue('x')).toBe(3);
  });
});

describe('transactions', () => {
  it('is all or nothing: a stale etag in op 3 leaves ops 1–2 unapplied', async () => {
    await store.set(setRequest('k0', 'keep'));
    await store.set(setRequest('k3', 'old'));
    const staleETag = await getETag('k3');
    await store.set(setRequest('k3', 'newer'));
    const failure = store.transact({
      metadata: {},
      operations: [
        { operation: 'upsert', request: setRequest('k1', 'v1') },
        { operation: 'delete', request: deleteRequest('k0') },
        { operation: 'upsert', request: setRequest('k3', 'v3', { etag: staleETag }) },
      ],
    });
    await expect(failure).rejects.toBeInstanceOf(ETagMismatchError);
    expect([await getValue('k1'), await getValue('k0'), await getValue('k3')]).toEqual([undefined, 'keep', 'newer']);
  });

  it('a malformed TTL anywhere fails the whole transaction', async () => {
    const failure = store.transact({
      metadata: {},
      operations: [
        { operation: 'upsert', request: setRequest('a', 1) },
        { operation: 'upsert', request: setRequest('b', 2, { metadata: { ttlInSeconds: 'soon' } }) },
      ],
    });
    await expect(failure).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await getValue('a')).toBeUndefined();
  });

  it('applies operations in order: delete k1, upsert k2, delete k2, upsert k3', async () => {
    await store.set(setRequest('key1', 'value1'));
    await store.transact({
      metadata: { partitionKey: 'myPartition' },
      operations: [
        { operation: 'delete', request: deleteRequest('key1') },
        { operation: 'upsert', request: setRequest('key2', 'value2') },
        { operation: 'delete', request: deleteRequest('key2') },
        { operation: 'upsert', request: setRequest('key3', 'value3') },
      ],
    });
    expect((await store.get({ key: 'key1', metadata: {} })).data).toBeUndefined();
    expect((await store.get({ key: 'key2', metadata: {} })).data).toBeUndefined();
    expect(decoder.decode((await store.get({ key: 'key3', metadata: {} })).data)).toBe('"value3"');
  });

  it('checks each etag against the state earlier operations leave; deleting a missing key is fine', async () => {
    await store.set(setRequest('k', 'v'));
    const etag = await getETag('k');
    const rewriteTwice = store.transact({
      metadata: {},
      operations: [
        { operation: 'upsert', request: setRequest('k', 'v2', { etag }) },
        { operation: 'upsert', request: setRequest('k', 'v3', { etag }) },
      ],
    });
    await expect(rewriteTwice).rejects.toBeInstanceOf(ETagMismatchError);
    expect(await getValue('k')).toBe('v');
    await store.transact({
      metadata: {},
      operations: [
        { operation: 'delete', request: deleteRequest('k', { etag }) },
        { operation: 'upsert', request: setRequest('k', 'fresh', { options: { concurrency: 'first-write' } }) },
        { operation: 'delete', request: deleteRequest('never-existed') },
      ],
    });
    expect(await getValue('k')).toBe('fresh');
  });

  it('enforces maxTransactionOperations and reports it through multiMaxSize', async () => {
    expect(store.multiMaxSize()).toBe(-1);
    const capped = await createMemoryStateStore({ maxTransactionOperations: '2', keyPrefix: 'name' });
    try {
      expect(capped.multiMaxSize()).toBe(2);
      const three = [1, 2, 3].map((n) => ({ operation: 'upsert' as const, request: setRequest(`k${n}`, n) }));
      await expect(capped.transact({ metadata: {}, operations: three })).rejects.toThrow(
        /maxTransactionOperations is 2/,
      );
      await capped.transact({ metadata: {}, operations: three.slice(0, 2) });
      expect(parsed((await capped.get({ key: 'k2', metadata: {} })).data)).toBe(2);
    } finally {
      await capped.close();
    }
    await expect(createMemoryStateStore({ maxTransactionOperations: 'lots' })).rejects.toBeInstanceOf(
      InvalidMetadataError,
    );
  });
});

describe('query', () => {
  // The conformance fixture (conformance.md §1.2) under base key K, plus values a query must skip.
  const K = 'c0ffee';
  const fixture: [string, unknown][] = [
    [`${K}-int`, 123],
    [`${K}-struct`, { message: `test${K}` }],
    [`${K}-struct-operations`, { product: { value: 15 }, status: 'ACTIVE', message: `${K}message` }],
    [`${K}-struct-operations-inactive`, { product: { value: 12 }, status: 'INACTIVE', message: `${K}message` }],
    [`${K}-struct-2`, { message: `${K}test` }],
    [`${K}-struct-with-int`, { message: 42 }],
  ];
  const querying = { contentType: 'application/json', queryIndexName: 'qIndx' };

  beforeEach(async () => {
    for (const [key, value] of fixture)
      await store.set(setRequest(key, value, { metadata: { contentType: 'application/json' } }));
    await store.set(setRequest(`${K}-bytes`, Uint8Array.from([0x01, 0xff])));
    await store.set(setRequest(`${K}-text`, encoder.encode('{not json')));
  });

  it('answers Q4 in insertion order with full keys, etags and the stored bytes', async () => {
    const filter = { OR: [{ EQ: { message: `${K}test` } }, { IN: { message: [`test${K}`, 'dummy'] } }] };
    const result = await store.query({ metadata: querying, query: { filter, sort: [], page: { limit: 0 } } });
    expect(result.items.map((i) => [i.key, parsed(i.data)])).toEqual([
      [`${K}-struct`, { message: `test${K}` }],
      [`${K}-struct-2`, { message: `${K}test` }],
    ]);
    expect(result.items[0]!.etag).toBe(await getETag(`${K}-struct`));
    expect(result.items[0]!.contentType).toBe('application/json');
    expect(result.token).toBeUndefined();
  });

  it('answers Q2 and skips values that are not JSON', async () => {
    const filter = {
      AND: [
        { EQ: { message: `${K}message` } },
        { GTE: { 'product.value': 10 } },
        { LT: { 'product.value': 20 } },
        { NEQ: { status: 'INACTIVE' } },
      ],
    };
    const result = await store.query({ metadata: querying, query: { filter, sort: [], page: { limit: 0 } } });
    expect(result.items.map((i) => i.key)).toEqual([`${K}-struct-operations`]);
    const everything = await store.query({ metadata: {}, query: { sort: [], page: { limit: 0 } } });
    expect(everything.items.map((i) => i.key)).toEqual(fixture.map(([key]) => key));
  });

  it('sorts and pages, and hides expired items', async () => {
    await store.set(setRequest(`${K}-struct-expiring`, { message: 'aaa' }, { metadata: { ttlInSeconds: '1' } }));
    const query = {
      filter: { GT: { message: '' } },
      sort: [{ key: 'message', order: 'DESC' as const }],
      page: { limit: 2 },
    };
    const first = await store.query({ metadata: {}, query });
    expect(first.items.map((i) => parsed(i.data).message)).toEqual([`test${K}`, `${K}test`]);
    advanceClock(1000);
    const second = await store.query({ metadata: {}, query: { ...query, page: { limit: 2, token: first.token! } } });
    expect(second.items.map((i) => parsed(i.data).message)).toEqual([`${K}message`, `${K}message`]);
    expect(second.token).toBeUndefined();
  });

  it('rejects an invalid filter', async () => {
    const query = { filter: { EQ: { a: 1, b: 2 } }, sort: [], page: { limit: 0 } };
    await expect(store.query({ metadata: {}, query })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('deleteWithPrefix', () => {
  it('deletes only direct children of the prefix and counts them', async () => {
    const keys = ['prefix||key1', 'prefix||key2', 'prefix||prefix2||key3', 'other-prefix||key1', 'no-prefix'];
    for (const key of keys) await store.set(setRequest(key, key));
    expect(await store.deleteWithPrefix({ prefix: 'prefix||' })).toEqual({ count: 2 });
    const present = async () =>
      (await Promise.all(keys.map(async (k) => [k, await getValue(k)] as const)))
        .filter(([, v]) => v !== undefined)
        .map(([k]) => k);
    expect(await present()).toEqual(['prefix||prefix2||key3', 'other-prefix||key1', 'no-prefix']);
    expect(await store.deleteWithPrefix({ prefix: 'other-prefix' })).toEqual({ count: 1 });
    expect(await present()).toEqual(['prefix||prefix2||key3', 'no-prefix']);
    await expect(store.deleteWithPrefix({ prefix: '' })).rejects.toThrow(/prefix is required/);
    await expect(store.deleteWithPrefix({ prefix: '||' })).rejects.toThrow(/prefix is required/);
  });

  it('does not count expired items', async () => {
    await store.set(setRequest('p||live', 1));
    await store.set(setRequest('p||gone', 1, { metadata: { ttlInSeconds: '1' } }));
    advanceClock(1000);
    expect(await store.deleteWithPrefix({ prefix: 'p' })).toEqual({ count: 1 });
  });
});

describe('lifecycle and definition', () => {
  it('sweeps expired items in the background every second and stops sweeping on close', async () => {
    vi.useFakeTimers();
    const swept = await createMemoryStateStore();
    expect(vi.getTimerCount()).toBe(1);
    await swept.set(setRequest('short', 1, { metadata: { ttlInSeconds: '1' } }));
    await swept.set(setRequest('forever', 1));
    const stored = (swept as unknown as { items: Map<string, unknown> }).items;
    vi.advanceTimersByTime(1000);
    expect([...stored.keys()]).toEqual(['forever']);
    await swept.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('declares ETAG and TTL; transactions, query and delete-with-prefix follow from its methods', () => {
    expect(store.features()).toEqual([StateFeature.ETag, StateFeature.TTL]);
    expect(new Set(resolveStateFeatures(store))).toEqual(
      new Set(['ETAG', 'TTL', 'TRANSACTIONAL', 'QUERY_API', 'DELETE_WITH_PREFIX']),
    );
  });

  it('fails every call after close, and close is idempotent', async () => {
    await store.set(setRequest('k', 1));
    await store.close();
    await store.close();
    await expect(store.get({ key: 'k', metadata: {} })).rejects.toThrow(FailedPreconditionError);
    await expect(store.set(setRequest('k', 2))).rejects.toThrow('component is closed');
    await expect(store.transact({ metadata: {}, operations: [] })).rejects.toBeInstanceOf(FailedPreconditionError);
    await expect(store.query({ metadata: {}, query: { sort: [], page: { limit: 0 } } })).rejects.toBeInstanceOf(
      FailedPreconditionError,
    );
  });

  it('exports one definition serving both type names, with the package version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(VERSION).toBe(pkg.version);
    expect(definitions).toHaveLength(1);
    const [definition] = definitions;
    expect(definition).toMatchObject({
      kind: 'state',
      socketName: 'daprkit-memory',
      types: ['state.in-memory', 'state.daprkit-memory'],
      packageName: pkg.name,
      version: pkg.version,
    });
    const a = definition!.create({ instanceName: 'a', logger: console });
    const b = definition!.create({ instanceName: 'b', logger: console });
    expect(a).toBeInstanceOf(MemoryStateStore);
    expect(a).not.toBe(b);
  });
});
