import {
  BulkError,
  bulk,
  ETagInvalidError,
  ETagMismatchError,
  FailedPreconditionError,
  InvalidArgumentError,
  isETagError,
  type Metadata,
  resolveStateFeatures,
  StateFeature,
} from '@daprkit/component-sdk';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisStateStore } from '../src/index.js';
import {
  bytes,
  deleteKeys,
  describeWithRedis,
  getRequest,
  keyPrefix,
  openStore,
  rawClient,
  setRequest,
  text,
} from './support/redis.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function expiresInMs(metadata: Record<string, string> | undefined): number | undefined {
  const at = metadata?.ttlExpireTime;
  return at === undefined ? undefined : Date.parse(at) - Date.now();
}

describeWithRedis('RedisStateStore (real Redis)', () => {
  const prefix = keyPrefix();
  const key = (name: string) => prefix + name;
  let store: RedisStateStore;
  let raw: Redis;

  beforeAll(async () => {
    store = await openStore();
    raw = rawClient();
    await raw.connect();
  });

  afterAll(async () => {
    await deleteKeys(raw, prefix);
    await store?.close();
    raw?.disconnect();
  });

  describe('CRUD', () => {
    it('round-trips non-UTF-8 bytes exactly, with etag "1" on the first write', async () => {
      const value = new Uint8Array([0x08, 0xff, 0xff, 0x00, 0x01, 0xc3]);
      await store.set(setRequest(key('bytes'), value));
      const got = await store.get(getRequest(key('bytes')));
      expect(Buffer.from(got.data!).equals(Buffer.from(value))).toBe(true);
      expect(got.etag).toBe('1');
      expect(got.metadata).toBeUndefined();
    });

    it('round-trips JSON text and an empty value', async () => {
      await store.set(setRequest(key('json'), '{"message":"hi","n":[1,2]}'));
      expect(JSON.parse(text((await store.get(getRequest(key('json')))).data)!)).toEqual({ message: 'hi', n: [1, 2] });
      await store.set(setRequest(key('empty'), new Uint8Array()));
      const empty = await store.get(getRequest(key('empty')));
      expect(empty.data?.byteLength).toBe(0);
      expect(empty.etag).toBe('1');
    });

    it('takes a Uint8Array view over a larger buffer without copying the neighbours', async () => {
      const whole = bytes('xxHELLOxx');
      await store.set(setRequest(key('view'), whole.subarray(2, 7)));
      expect(text((await store.get(getRequest(key('view')))).data)).toBe('HELLO');
    });

    it('reports a missing key as no data, no etag, no error', async () => {
      expect(await store.get(getRequest(key('missing')))).toEqual({});
    });

    it('deletes, and deleting a missing key without etag is fine', async () => {
      await store.set(setRequest(key('del'), 'v'));
      await store.delete({ key: key('del'), metadata: {}, options: {} });
      expect((await store.get(getRequest(key('del')))).data).toBeUndefined();
      await store.delete({ key: key('del'), metadata: {}, options: {} });
    });

    it('declares ETAG and TTL, and TRANSACTIONAL through transact(); no QUERY_API, no KEYS_LIKE', () => {
      expect(resolveStateFeatures(store).sort()).toEqual(
        [StateFeature.ETag, StateFeature.Transactional, StateFeature.TTL].sort(),
      );
      expect('query' in store).toBe(false);
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });

  describe('data layout (contrib-compatible)', () => {
    it('stores one hash per verbatim key with data and an incrementing version', async () => {
      const k = key('layout');
      await store.set(setRequest(k, 'one'));
      expect(await raw.hgetall(k)).toEqual({ data: 'one', version: '1' });
      await store.set(setRequest(k, 'two'));
      expect(await raw.hgetall(k)).toEqual({ data: 'two', version: '2' });
      expect((await store.get(getRequest(k))).etag).toBe('2');
    });

    it('adds the first-write marker on first-write writes', async () => {
      const k = key('marker');
      await store.set(setRequest(k, 'v', { options: { concurrency: 'first-write' } }));
      expect(await raw.hgetall(k)).toEqual({ data: 'v', version: '1', 'first-write': '0' });
    });

    it('reads a legacy plain-string key as data without etag, and a later write converts it', async () => {
      const k = key('legacy');
      await raw.set(k, 'plain', 'EX', 3600);
      const got = await store.get(getRequest(k));
      expect(text(got.data)).toBe('plain');
      expect(got.etag).toBeUndefined();
      expect(expiresInMs(got.metadata)).toBeGreaterThan(3_500_000);
      const [item] = await store.bulkGet([getRequest(k)]);
      expect(text(item?.data)).toBe('plain');
      await store.set(setRequest(k, 'hashed'));
      expect(await raw.hgetall(k)).toEqual({ data: 'hashed', version: '1' });
    });

    it('refuses to read a key of another type, as an error (get) or an item error (bulkGet)', async () => {
      const k = key('list');
      await raw.rpush(k, 'x');
      await expect(store.get(getRequest(k))).rejects.toThrow(FailedPreconditionError);
      const [item] = await store.bulkGet([getRequest(k)]);
      expect(item?.error).toMatch(/does not hold state/);
    });
  });

  describe('etag', () => {
    it('rejects a wrong version as mismatch and leaves value and version untouched', async () => {
      const k = key('etag');
      await store.set(setRequest(k, 'first'));
      const err = await store.set(setRequest(k, 'second', { etag: '9999999' })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ETagMismatchError);
      expect(await raw.hgetall(k)).toEqual({ data: 'first', version: '1' });
      await store.set(setRequest(k, 'second', { etag: '1' }));
      expect(await store.get(getRequest(k))).toMatchObject({ etag: '2' });
      expect(text((await store.get(getRequest(k))).data)).toBe('second');
    });

    it('rejects an etag on a missing key as mismatch (set and delete)', async () => {
      await expect(store.set(setRequest(key('etag-missing'), 'v', { etag: '1' }))).rejects.toThrow(ETagMismatchError);
      await expect(store.delete({ key: key('etag-missing'), etag: '1', metadata: {}, options: {} })).rejects.toThrow(
        ETagMismatchError,
      );
      expect(await raw.exists(key('etag-missing'))).toBe(0);
    });

    it('checks the etag on delete', async () => {
      const k = key('etag-del');
      await store.set(setRequest(k, 'v'));
      await expect(store.delete({ key: k, etag: '2', metadata: {}, options: {} })).rejects.toThrow(ETagMismatchError);
      expect(await raw.exists(k)).toBe(1);
      await store.delete({ key: k, etag: '1', metadata: {}, options: {} });
      expect(await raw.exists(k)).toBe(0);
    });

    it('still checks the etag under last-write (Dapr rule)', async () => {
      const k = key('etag-lw');
      await store.set(setRequest(k, 'v'));
      await expect(
        store.set(setRequest(k, 'w', { etag: '5', options: { concurrency: 'last-write' } })),
      ).rejects.toThrow(ETagMismatchError);
    });

    it('rejects a malformed etag as invalid before any I/O (even on a closed store)', async () => {
      const err = await store.set(setRequest(key('etag-bad'), 'v', { etag: 'bad-etag' })).catch((e: unknown) => e);
      expect(isETagError(err, 'invalid')).toBe(true);
      expect(await raw.exists(key('etag-bad'))).toBe(0);
      const closed = await openStore();
      await closed.close();
      await expect(closed.set(setRequest(key('etag-bad'), 'v', { etag: 'x1' }))).rejects.toThrow(ETagInvalidError);
      await expect(closed.delete({ key: key('etag-bad'), etag: '1.0', metadata: {}, options: {} })).rejects.toThrow(
        ETagInvalidError,
      );
      await expect(closed.set(setRequest(key('etag-bad'), 'v'))).rejects.toThrow(/component is closed/);
    });
  });

  describe('first-write', () => {
    const firstWrite = { concurrency: 'first-write' } as const;

    it('is insert-only without an etag: the second write fails, the first value stays', async () => {
      const k = key('fw');
      await store.set(setRequest(k, 'one', { options: firstWrite }));
      const err = await store.set(setRequest(k, 'two', { options: firstWrite, etag: '' })).catch((e: unknown) => e);
      expect(isETagError(err, 'mismatch')).toBe(true);
      expect(text((await store.get(getRequest(k))).data)).toBe('one');
    });

    it('also refuses keys written without first-write, and legacy plain strings (true insert-only)', async () => {
      await store.set(setRequest(key('fw-plain'), 'v'));
      await expect(store.set(setRequest(key('fw-plain'), 'w', { options: firstWrite }))).rejects.toThrow(
        ETagMismatchError,
      );
      await raw.set(key('fw-legacy'), 'old');
      await expect(store.set(setRequest(key('fw-legacy'), 'w', { options: firstWrite }))).rejects.toThrow(
        ETagMismatchError,
      );
      expect(await raw.get(key('fw-legacy'))).toBe('old');
    });

    it('with an etag behaves as an etag check', async () => {
      const k = key('fw-etag');
      await store.set(setRequest(k, 'one'));
      await store.set(setRequest(k, 'two', { etag: '1', options: firstWrite }));
      await expect(store.set(setRequest(k, 'three', { etag: '1', options: firstWrite }))).rejects.toThrow(
        ETagMismatchError,
      );
      expect(await store.get(getRequest(k))).toMatchObject({ etag: '2' });
    });

    it('does not let the marker block later etag-less last-write writes (deviation from contrib)', async () => {
      const k = key('fw-then-lw');
      await store.set(setRequest(k, 'one', { options: firstWrite }));
      await store.set(setRequest(k, 'two'));
      await store.set(setRequest(k, 'three', { options: { concurrency: 'last-write' } }));
      expect(await raw.hgetall(k)).toEqual({ data: 'three', version: '3', 'first-write': '0' });
    });

    it('lets exactly one of concurrent inserts win, and 8×50 concurrent etag increments add up to 400', async () => {
      const k = key('counter');
      const stores = await Promise.all(Array.from({ length: 8 }, () => openStore()));
      try {
        const inserts = await Promise.allSettled(stores.map((s) => s.set(setRequest(k, '0', { options: firstWrite }))));
        expect(inserts.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of inserts) if (r.status === 'rejected') expect(isETagError(r.reason, 'mismatch')).toBe(true);

        let conflicts = 0;
        const increment = async (s: RedisStateStore) => {
          for (;;) {
            const current = await s.get(getRequest(k));
            const next = String(Number(text(current.data)) + 1);
            try {
              await s.set(setRequest(k, next, { etag: current.etag!, options: firstWrite }));
              return;
            } catch (err) {
              if (!isETagError(err, 'mismatch')) throw err;
              conflicts++;
            }
          }
        };
        await Promise.all(
          stores.map(async (s) => {
            for (let i = 0; i < 50; i++) await increment(s);
          }),
        );
        const final = await store.get(getRequest(k));
        expect(text(final.data)).toBe('400');
        expect(final.etag).toBe('401');
        expect(conflicts).toBeGreaterThan(0); // the workers really raced
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });
  });

  describe('ttl', () => {
    it('expires the key natively and reports ttlExpireTime from the remaining TTL', async () => {
      const k = key('ttl-short');
      await store.set(setRequest(k, 'v', { metadata: { ttlInSeconds: '1' } }));
      const got = await store.get(getRequest(k));
      expect(text(got.data)).toBe('v');
      expect(expiresInMs(got.metadata)).toBeGreaterThan(0);
      expect(expiresInMs(got.metadata)).toBeLessThanOrEqual(1000);
      await sleep(1100);
      expect(await store.get(getRequest(k))).toEqual({});
    });

    it('reports an RFC 3339 UTC ttlExpireTime about an hour out, in get and bulkGet', async () => {
      await store.set(setRequest(key('ttl-hour'), '"123"', { metadata: { ttlInSeconds: '3600' } }));
      const got = await store.get(getRequest(key('ttl-hour')));
      expect(got.metadata?.ttlExpireTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Math.abs(expiresInMs(got.metadata)! - 3_600_000)).toBeLessThan(5000);
      const [item] = await store.bulkGet([getRequest(key('ttl-hour'))]);
      expect(Math.abs(expiresInMs(item?.metadata)! - 3_600_000)).toBeLessThan(5000);
    });

    it('clears the expiry with -1, with 0, and with a write that has no ttlInSeconds', async () => {
      const k = key('ttl-clear');
      const clearings: Metadata[] = [{ ttlInSeconds: '-1' }, { ttlInSeconds: '0' }, {}];
      for (const clearing of clearings) {
        await store.set(setRequest(k, 'v', { metadata: { ttlInSeconds: '100' } }));
        expect(await raw.ttl(k)).toBeGreaterThan(0);
        await store.set(setRequest(k, 'v', { metadata: clearing }));
        expect(await raw.ttl(k)).toBe(-1);
        expect((await store.get(getRequest(k))).metadata).toBeUndefined();
      }
    });

    it('rejects a non-integer ttlInSeconds without writing', async () => {
      await expect(store.set(setRequest(key('ttl-foo'), 'v', { metadata: { ttlInSeconds: 'foo' } }))).rejects.toThrow(
        InvalidArgumentError,
      );
      expect(await raw.exists(key('ttl-foo'))).toBe(0);
    });

    it('applies the component default ttlInSeconds unless the request says otherwise', async () => {
      const withDefault = await openStore({ ttlInSeconds: '600' });
      try {
        await withDefault.set(setRequest(key('ttl-default'), 'v'));
        expect(await raw.ttl(key('ttl-default'))).toBeGreaterThan(590);
        await withDefault.set(setRequest(key('ttl-default'), 'v', { metadata: { ttlInSeconds: '30' } }));
        expect(await raw.ttl(key('ttl-default'))).toBeLessThanOrEqual(30);
        await withDefault.set(setRequest(key('ttl-default'), 'v', { metadata: { ttlInSeconds: '-1' } }));
        expect(await raw.ttl(key('ttl-default'))).toBe(-1);
      } finally {
        await withDefault.close();
      }
    });
  });

  describe('transactions', () => {
    const upsert = (k: string, value: string, extra: Parameters<typeof setRequest>[2] = {}) =>
      ({ operation: 'upsert', request: setRequest(k, value, extra) }) as const;
    const remove = (k: string, etag?: string) =>
      ({ operation: 'delete', request: { key: k, etag, metadata: {}, options: {} } }) as const;

    it('applies nothing when one etag is stale (atomic rollback)', async () => {
      await store.set(setRequest(key('tx-existing'), 'keep'));
      await store.set(setRequest(key('tx-guarded'), 'g'));
      await store.set(setRequest(key('tx-guarded'), 'g2')); // version 2: etag '1' is now stale
      const err = await store
        .transact({
          metadata: {},
          operations: [
            upsert(key('tx-new'), 'new'),
            remove(key('tx-existing')),
            upsert(key('tx-guarded'), 'x', { etag: '1' }),
          ],
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ETagMismatchError);
      expect((err as Error).message).toContain(key('tx-guarded'));
      expect(await raw.exists(key('tx-new'))).toBe(0);
      expect(await raw.hgetall(key('tx-existing'))).toEqual({ data: 'keep', version: '1' });
      expect(await raw.hgetall(key('tx-guarded'))).toEqual({ data: 'g2', version: '2' });
    });

    it('applies operations in request order', async () => {
      await store.set(setRequest(key('tx-key1'), '"value1"'));
      await store.transact({
        metadata: { partitionKey: 'myPartition' },
        operations: [
          remove(key('tx-key1')),
          upsert(key('tx-key2'), '"value2"'),
          remove(key('tx-key2')),
          upsert(key('tx-key3'), '"value3"'),
        ],
      });
      expect((await store.get(getRequest(key('tx-key1')))).data).toBeUndefined();
      expect((await store.get(getRequest(key('tx-key2')))).data).toBeUndefined();
      expect(text((await store.get(getRequest(key('tx-key3')))).data)).toBe('"value3"');
    });

    it('checks each etag against the state the earlier operations leave', async () => {
      const k = key('tx-chain');
      await store.set(setRequest(k, 'v1'));
      await store.transact({
        metadata: {},
        operations: [upsert(k, 'v2', { etag: '1' }), upsert(k, 'v3', { etag: '2' })],
      });
      expect(await raw.hgetall(k)).toEqual({ data: 'v3', version: '3' });
      await expect(
        store.transact({ metadata: {}, operations: [remove(k, '3'), upsert(k, 'v4', { etag: '3' })] }),
      ).rejects.toThrow(ETagMismatchError);
      expect(await raw.hgetall(k)).toEqual({ data: 'v3', version: '3' });
    });

    it('honours first-write, per-operation TTL and deletes of missing keys', async () => {
      await store.set(setRequest(key('tx-fw'), 'there'));
      await expect(
        store.transact({
          metadata: {},
          operations: [
            upsert(key('tx-fw-other'), 'x'),
            upsert(key('tx-fw'), 'y', { options: { concurrency: 'first-write' } }),
          ],
        }),
      ).rejects.toThrow(ETagMismatchError);
      expect(await raw.exists(key('tx-fw-other'))).toBe(0);
      await store.transact({
        metadata: {},
        operations: [
          remove(key('tx-never-written')),
          upsert(key('tx-ttl'), 'x', { metadata: { ttlInSeconds: '600' } }),
        ],
      });
      expect(await raw.ttl(key('tx-ttl'))).toBeGreaterThan(590);
    });

    it('rejects a malformed etag in any operation before writing anything', async () => {
      await expect(
        store.transact({ metadata: {}, operations: [upsert(key('tx-inv-a'), 'x'), remove(key('tx-inv-b'), 'nope')] }),
      ).rejects.toThrow(ETagInvalidError);
      expect(await raw.exists(key('tx-inv-a'))).toBe(0);
    });

    it('has no operation limit: 5000 operations commit together', async () => {
      const operations = Array.from({ length: 5000 }, (_, i) => upsert(key(`tx-big-${i % 1000}`), String(i)));
      await store.transact({ metadata: {}, operations });
      const items = await store.bulkGet([getRequest(key('tx-big-0')), getRequest(key('tx-big-999'))]);
      expect(items.map((i) => [text(i.data), i.etag])).toEqual([
        ['4000', '5'],
        ['4999', '5'],
      ]);
    });

    it('accepts an empty transaction', async () => {
      await expect(store.transact({ metadata: {}, operations: [] })).resolves.toBeUndefined();
    });
  });

  describe('bulk', () => {
    it('bulkGet returns one item per key, in order, missing keys without data or error', async () => {
      await store.set(setRequest(key('b1'), 'one'));
      await store.set(setRequest(key('b2'), 'two'));
      await store.set(setRequest(key('b2'), 'two'));
      const items = await store.bulkGet([getRequest(key('b2')), getRequest(key('b-none')), getRequest(key('b1'))]);
      expect(items.map((i) => [i.key, text(i.data), i.etag, i.error])).toEqual([
        [key('b2'), 'two', '2', undefined],
        [key('b-none'), undefined, undefined, undefined],
        [key('b1'), 'one', '1', undefined],
      ]);
      expect(await store.bulkGet([])).toEqual([]);
    });

    it('bulkSet is not atomic: failures come back per key as a BulkError, the rest is applied', async () => {
      await store.set(setRequest(key('bs-guarded'), 'g'));
      const err = await bulk
        .set(store, [
          setRequest(key('bs-a'), 'a'),
          setRequest(key('bs-guarded'), 'x', { etag: '7' }),
          setRequest(key('bs-b'), 'b'),
        ])
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BulkError);
      const failures = (err as BulkError).errors;
      expect(failures.map((f) => f.key)).toEqual([key('bs-guarded')]);
      expect(isETagError(failures[0]?.etagError(), 'mismatch')).toBe(true);
      expect(await raw.hget(key('bs-a'), 'data')).toBe('a');
      expect(await raw.hget(key('bs-b'), 'data')).toBe('b');
    });

    it('bulkDelete deletes what it can and reports the rest', async () => {
      await store.set(setRequest(key('bd-1'), 'x'));
      await store.set(setRequest(key('bd-2'), 'y'));
      const err = await bulk
        .delete(store, [
          { key: key('bd-1'), etag: '1', metadata: {}, options: {} },
          { key: key('bd-2'), etag: '9', metadata: {}, options: {} },
        ])
        .catch((e: unknown) => e);
      expect((err as BulkError).errors.map((f) => f.key)).toEqual([key('bd-2')]);
      expect(await raw.exists(key('bd-1'))).toBe(0);
      expect(await raw.exists(key('bd-2'))).toBe(1);
    });
  });

  describe('lifecycle', () => {
    it('closes idempotently and then fails calls with FailedPrecondition', async () => {
      const s = await openStore();
      await s.close();
      await s.close();
      await expect(s.get(getRequest(key('x')))).rejects.toThrow(FailedPreconditionError);
      await expect(s.init({ redisHost: 'localhost' })).rejects.toThrow(/closed/);
    });
  });
});
