import { randomUUID } from 'node:crypto';
import {
  BulkError,
  bulk,
  ETagMismatchError,
  InvalidArgumentError,
  isETagError,
  type TransactionOperation,
} from '@daprkit/component-sdk';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMySqlStateStore, type MySqlStateStore } from '../src/index.js';
import {
  adminConnection,
  DSN,
  deleteRequest,
  describeWithMySql,
  dropSchema,
  eventually,
  getRequest,
  parsed,
  setRequest,
  sleep,
  uniqueSchema,
} from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describeWithMySql('MySqlStateStore on a real server', () => {
  const schemaName = uniqueSchema();
  let store: MySqlStateStore;
  let admin: Connection;
  // Keys are unique per test so tests never see each other's rows.
  const key = (name: string) => `app||${name}-${randomUUID().slice(0, 8)}`;
  const value = async (k: string) => parsed((await store.get(getRequest(k))).data);
  const etagOf = async (k: string) => (await store.get(getRequest(k))).etag;
  const rawRow = async (k: string) => {
    const [rows] = await admin.query<RowDataPacket[]>('SELECT * FROM state WHERE id = ?', [k]);
    return rows[0];
  };

  beforeAll(async () => {
    // GC off: tests look at expired rows that are still in the table.
    store = await createMySqlStateStore({ connectionString: DSN, schemaName, cleanupInterval: '0' });
    admin = await adminConnection(schemaName);
  });
  afterAll(async () => {
    await store?.close();
    await admin?.end();
    await dropSchema(schemaName);
  });

  describe('CRUD', () => {
    it('round-trips JSON as JSON text (isbinary = 0) with a UUID etag', async () => {
      const k = key('json');
      const text = '{"message":"héllo","n":[1,2.5,true,null]}';
      await store.set(setRequest(k, new TextEncoder().encode(text)));
      const got = await store.get(getRequest(k));
      expect(new TextDecoder().decode(got.data)).toBe(text); // MariaDB keeps JSON text verbatim
      expect(got.etag).toMatch(UUID);
      expect(got.metadata).toBeUndefined();
      const row = await rawRow(k);
      expect(row).toMatchObject({ value: text, isbinary: 0, eTag: got.etag, expiredate: null });
    });

    it('round-trips non-UTF-8 bytes exactly, stored as a base64 JSON string (isbinary = 1)', async () => {
      const k = key('bytes');
      const bytes = new Uint8Array([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00, 0xc3]);
      await store.set(setRequest(k, bytes));
      expect((await store.get(getRequest(k))).data).toEqual(bytes);
      const row = await rawRow(k);
      expect(row).toMatchObject({ isbinary: 1, value: JSON.stringify(Buffer.from(bytes).toString('base64')) });
    });

    it('keeps strings, empty strings and empty values apart', async () => {
      const [a, b, c] = [key('s'), key('empty-string'), key('empty')];
      await store.set(setRequest(a, '{"a":"b"}'));
      await store.set(setRequest(b, ''));
      await store.set(setRequest(c, new Uint8Array()));
      expect(await value(a)).toBe('{"a":"b"}');
      expect(new TextDecoder().decode((await store.get(getRequest(b))).data)).toBe('""');
      expect((await store.get(getRequest(c))).data).toEqual(new Uint8Array());
    });

    it('a missing key has no data, no etag and no error; deleting it is fine', async () => {
      const k = key('missing');
      expect(await store.get(getRequest(k))).toEqual({});
      await store.delete(deleteRequest(k));
    });

    it('overwrites with a new etag each time and deletes', async () => {
      const k = key('overwrite');
      await store.set(setRequest(k, 1));
      const first = await etagOf(k);
      await store.set(setRequest(k, 2));
      expect(await value(k)).toBe(2);
      expect(await etagOf(k)).not.toBe(first);
      await store.delete(deleteRequest(k));
      expect(await store.get(getRequest(k))).toEqual({});
    });

    it('an upsert keeps row_id and insertDate (no REPLACE INTO)', async () => {
      const k = key('stable');
      await store.set(setRequest(k, 1));
      const before = await rawRow(k);
      await store.set(setRequest(k, 2));
      const after = await rawRow(k);
      expect(after?.row_id).toBe(before?.row_id);
      expect(after?.insertDate).toEqual(before?.insertDate);
    });

    it('keys are case-sensitive and trailing spaces matter (binary NO PAD collation)', async () => {
      const k = key('Case');
      await store.set(setRequest(k, 'upper'));
      await store.set(setRequest(k.toLowerCase(), 'lower'));
      await store.set(setRequest(`${k} `, 'space'));
      expect(await value(k)).toBe('upper');
      expect(await value(k.toLowerCase())).toBe('lower');
      expect(await value(`${k} `)).toBe('space');
      const items = await store.bulkGet([getRequest(k.toUpperCase()), getRequest(k)]);
      expect(items.map((item) => parsed(item.data))).toEqual([undefined, 'upper']);
    });

    it('keeps unicode, || and long keys verbatim', async () => {
      const keys = [key('ключ||名前||🔑'), `app||${'x'.repeat(250)}`];
      for (const k of keys) await store.set(setRequest(k, k));
      for (const k of keys) expect(await value(k)).toBe(k);
    });

    it('rejects an empty key', async () => {
      await expect(store.set(setRequest('', 1))).rejects.toThrow(InvalidArgumentError);
      await expect(store.delete(deleteRequest(''))).rejects.toThrow(InvalidArgumentError);
    });
  });

  describe('ETags', () => {
    it('writes with the current etag, rejects a stale one and leaves the row untouched', async () => {
      const k = key('etag');
      await store.set(setRequest(k, 'first'));
      const e1 = (await etagOf(k))!;
      await store.set(setRequest(k, 'second', { etag: e1 }));
      const e2 = await etagOf(k);
      expect(e2).not.toBe(e1);
      const stale = store.set(setRequest(k, 'third', { etag: e1 }));
      await expect(stale).rejects.toSatisfy((err) => isETagError(err, 'mismatch'));
      expect(await value(k)).toBe('second');
      expect(await etagOf(k)).toBe(e2);
    });

    it('an etag on a missing key is a mismatch', async () => {
      await expect(store.set(setRequest(key('none'), 1, { etag: randomUUID() }))).rejects.toThrow(ETagMismatchError);
      await expect(store.delete(deleteRequest(key('none'), { etag: randomUUID() }))).rejects.toThrow(ETagMismatchError);
    });

    it('an empty etag is no etag', async () => {
      const k = key('empty-etag');
      await store.set(setRequest(k, 1, { etag: '' }));
      await store.set(setRequest(k, 2, { etag: '' }));
      expect(await value(k)).toBe(2);
    });

    it('deletes only with the current etag', async () => {
      const k = key('delete-etag');
      await store.set(setRequest(k, 1));
      const etag = (await etagOf(k))!;
      await expect(store.delete(deleteRequest(k, { etag: 'bad-etag' }))).rejects.toThrow(ETagMismatchError);
      expect(await value(k)).toBe(1);
      await store.delete(deleteRequest(k, { etag }));
      expect(await store.get(getRequest(k))).toEqual({});
    });
  });

  describe('first-write', () => {
    const firstWrite = { concurrency: 'first-write' as const };

    it('inserts once; a second write without etag conflicts', async () => {
      const k = key('fw');
      await store.set(setRequest(k, 'one', { options: firstWrite }));
      await expect(store.set(setRequest(k, 'two', { options: firstWrite }))).rejects.toThrow(ETagMismatchError);
      expect(await value(k)).toBe('one');
    });

    it('with an etag, behaves as an etag-guarded update', async () => {
      const k = key('fw-etag');
      await store.set(setRequest(k, 'one'));
      const etag = (await etagOf(k))!;
      await store.set(setRequest(k, 'two', { etag, options: firstWrite }));
      await expect(store.set(setRequest(k, 'three', { etag, options: firstWrite }))).rejects.toThrow(ETagMismatchError);
      expect(await value(k)).toBe('two');
    });

    it('exactly one of many concurrent first-writes wins', async () => {
      const k = key('fw-race');
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) => store.set(setRequest(k, i, { options: firstWrite }))),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(isETagError(r.reason, 'mismatch')).toBe(true);
    });

    it('replaces an expired row that the collector has not removed yet (contrib fails with a duplicate key)', async () => {
      const k = key('fw-expired');
      await store.set(setRequest(k, 'old', { metadata: { ttlInSeconds: '1' } }));
      const before = await rawRow(k);
      expect(await eventually(async () => (await store.get(getRequest(k))).data === undefined, 3000)).toBe(true);
      expect(await rawRow(k)).toBeDefined(); // still in the table: GC is off
      await store.set(setRequest(k, 'new', { options: firstWrite }));
      expect(await value(k)).toBe('new');
      const after = await rawRow(k);
      expect(after).toMatchObject({ expiredate: null, row_id: before?.row_id });
      await expect(store.set(setRequest(k, 'newer', { options: firstWrite }))).rejects.toThrow(ETagMismatchError);
    });

    it('8 workers x 50 etag-guarded increments starting from first-write end at 400', async () => {
      const k = key('counter');
      const increment = async () => {
        for (;;) {
          const current = await store.get(getRequest(k));
          const next = current.data === undefined ? 1 : (parsed(current.data) as number) + 1;
          try {
            await store.set(
              setRequest(
                k,
                next,
                current.etag === undefined ? { options: { concurrency: 'first-write' } } : { etag: current.etag },
              ),
            );
            return;
          } catch (err) {
            if (!isETagError(err, 'mismatch')) throw err;
          }
        }
      };
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = 0; i < 50; i++) await increment();
        }),
      );
      expect(await value(k)).toBe(400);
    });
  });

  describe('TTL', () => {
    const ttl = (seconds: string) => ({ metadata: { ttlInSeconds: seconds } });
    const expireTime = async (k: string) => (await store.get(getRequest(k))).metadata?.ttlExpireTime;

    it('expires on read and reports ttlExpireTime in UTC RFC 3339', async () => {
      const k = key('ttl');
      const before = Date.now();
      await store.set(setRequest(k, 'soon', ttl('2')));
      const got = await store.get(getRequest(k));
      expect(parsed(got.data)).toBe('soon');
      const expiresAt = got.metadata?.ttlExpireTime;
      expect(expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      // TIMESTAMP has whole seconds and the server clock may differ slightly from ours.
      expect(Date.parse(expiresAt!)).toBeGreaterThanOrEqual(before + 1000 - 1500);
      expect(Date.parse(expiresAt!)).toBeLessThanOrEqual(Date.now() + 2000 + 1500);
      expect(await eventually(async () => (await store.get(getRequest(k))).data === undefined, 3500, 200)).toBe(true);
      expect(await store.get(getRequest(k))).toEqual({});
    });

    it('ttlExpireTime for an hour is about an hour away', async () => {
      const k = key('ttl-hour');
      await store.set(setRequest(k, 1, ttl('3600')));
      expect(Math.abs(Date.parse((await expireTime(k))!) - (Date.now() + 3_600_000))).toBeLessThan(5000);
    });

    it('-1, 0 and an omitted ttlInSeconds all clear an earlier expiry', async () => {
      const k = key('ttl-clear');
      for (const clear of [ttl('-1'), ttl('0'), {}]) {
        await store.set(setRequest(k, 'v', ttl('1')));
        expect(await expireTime(k)).toBeDefined();
        await store.set(setRequest(k, 'v', clear));
        expect(await expireTime(k)).toBeUndefined();
      }
      await sleep(2100);
      expect(await value(k)).toBe('v');
    });

    it('an etag-guarded update sets and clears the expiry too', async () => {
      const k = key('ttl-etag');
      await store.set(setRequest(k, 1));
      await store.set(setRequest(k, 2, { etag: (await etagOf(k))!, ...ttl('100') }));
      expect(await expireTime(k)).toBeDefined();
      await store.set(setRequest(k, 3, { etag: (await etagOf(k))! }));
      expect(await expireTime(k)).toBeUndefined();
    });

    it('an expired row is gone for etag writes and deletes too', async () => {
      const k = key('ttl-gone');
      await store.set(setRequest(k, 1, ttl('1')));
      const etag = (await etagOf(k))!;
      expect(await eventually(async () => (await store.get(getRequest(k))).data === undefined, 3000)).toBe(true);
      await expect(store.set(setRequest(k, 2, { etag }))).rejects.toThrow(ETagMismatchError);
      await expect(store.delete(deleteRequest(k, { etag }))).rejects.toThrow(ETagMismatchError);
      await store.set(setRequest(k, 3)); // a plain upsert replaces the expired row
      expect(await value(k)).toBe(3);
    });

    it('rejects a malformed ttlInSeconds before writing', async () => {
      const k = key('ttl-bad');
      for (const bad of ['foo', '1.5', '-2', String(2 ** 31)]) {
        await expect(store.set(setRequest(k, 1, ttl(bad)))).rejects.toThrow(InvalidArgumentError);
      }
      expect(await store.get(getRequest(k))).toEqual({});
    });

    it('the largest ttlInSeconds is stored, or refused as a bad ttlInSeconds where TIMESTAMP ends in 2038', async () => {
      const k = key('ttl-max');
      const result = await store.set(setRequest(k, 1, ttl(String(2 ** 31 - 1)))).catch((err: unknown) => err);
      if (result === undefined) {
        expect(Date.parse((await expireTime(k))!)).toBeGreaterThan(Date.now() + 60 * 365 * 86_400_000);
      } else {
        expect(result).toBeInstanceOf(InvalidArgumentError);
        expect((result as Error).message).toMatch(/^incorrect value for metadata 'ttlInSeconds'/);
        expect(await store.get(getRequest(k))).toEqual({});
      }
    });

    it('bulkGet reports ttlExpireTime per item', async () => {
      const [a, b] = [key('bulk-ttl-a'), key('bulk-ttl-b')];
      await store.set(setRequest(a, '123', ttl('3600')));
      await store.set(setRequest(b, '234'));
      const items = await store.bulkGet([getRequest(a), getRequest(b)]);
      expect(items[0]?.metadata?.ttlExpireTime).toBeDefined();
      expect(items[1]?.metadata).toBeUndefined();
    });
  });

  describe('bulk', () => {
    it('bulkGet returns one item per requested key in request order, missing keys without data', async () => {
      const [a, b, missing] = [key('bulk-a'), key('bulk-b'), key('bulk-missing')];
      const bytes = new Uint8Array([0xff, 0x00, 0x80]);
      await store.set(setRequest(a, { n: 1 }));
      await store.set(setRequest(b, bytes));
      const items = await store.bulkGet([getRequest(b), getRequest(missing), getRequest(a), getRequest(b)]);
      expect(items.map((item) => item.key)).toEqual([b, missing, a, b]);
      expect(items[0]?.data).toEqual(bytes);
      expect(items[1]).toEqual({ key: missing });
      expect(parsed(items[2]?.data)).toEqual({ n: 1 });
      expect(items[2]?.etag).toMatch(UUID);
      expect(items[3]?.data).toEqual(bytes);
      expect(await store.bulkGet([])).toEqual([]);
    });

    it('bulkGet splits very long key lists', async () => {
      const keys = Array.from({ length: 2100 }, (_, i) => key(`many-${i}`));
      await store.set(setRequest(keys[0]!, 'first'));
      await store.set(setRequest(keys[1500]!, 'middle'));
      await store.set(setRequest(keys[2099]!, 'last'));
      const items = await store.bulkGet(keys.map(getRequest));
      expect(items).toHaveLength(2100);
      const found = items.flatMap((item, i) => (item.data === undefined ? [] : [[i, parsed(item.data)]]));
      expect(found).toEqual([
        [0, 'first'],
        [1500, 'middle'],
        [2099, 'last'],
      ]);
    });

    it('bulk set is not atomic: a bad etag fails only its own item', async () => {
      const [a, b] = [key('bulk-set-a'), key('bulk-set-b')];
      await store.set(setRequest(a, 0));
      await store.set(setRequest(b, 0));
      const error = await bulk
        .set(store, [setRequest(a, 1, { etag: 'bad-etag' }), setRequest(b, 1, { etag: (await etagOf(b))! })])
        .catch((err) => err);
      expect(error).toBeInstanceOf(BulkError);
      expect((error as BulkError).errors.map((e) => [e.key, e.etagError()?.kind])).toEqual([[a, 'mismatch']]);
      expect([await value(a), await value(b)]).toEqual([0, 1]);
    });
  });

  describe('transactions', () => {
    const upsert = (k: string, v: unknown, extra = {}): TransactionOperation => ({
      operation: 'upsert',
      request: setRequest(k, v, extra),
    });
    const remove = (k: string, extra = {}): TransactionOperation => ({
      operation: 'delete',
      request: deleteRequest(k, extra),
    });

    it('a stale etag in operation 3 leaves operations 1 and 2 unapplied', async () => {
      const [a, b, c] = [key('tx-a'), key('tx-b'), key('tx-c')];
      await store.set(setRequest(b, 'b0'));
      await store.set(setRequest(c, 'c0'));
      const stale = (await etagOf(c))!;
      await store.set(setRequest(c, 'c1'));
      const tx = store.transact({
        operations: [upsert(a, 'a1'), remove(b), upsert(c, 'c2', { etag: stale })],
        metadata: {},
      });
      await expect(tx).rejects.toSatisfy((err) => isETagError(err, 'mismatch'));
      expect([await value(a), await value(b), await value(c)]).toEqual([undefined, 'b0', 'c1']);
    });

    it('applies operations in order', async () => {
      const [k1, k2, k3] = [key('order-1'), key('order-2'), key('order-3')];
      await store.set(setRequest(k1, 'value1'));
      await store.transact({
        operations: [remove(k1), upsert(k2, 'value2'), remove(k2), upsert(k3, 'value3')],
        metadata: {},
      });
      expect((await store.get(getRequest(k1))).data).toBeUndefined();
      expect((await store.get(getRequest(k2))).data).toBeUndefined();
      expect(new TextDecoder().decode((await store.get(getRequest(k3))).data)).toBe('"value3"');
    });

    it('sees its own earlier writes: a second first-write of the same key conflicts and rolls back', async () => {
      const k = key('tx-fw');
      const fw = { options: { concurrency: 'first-write' as const } };
      const tx = store.transact({ operations: [upsert(k, 1, fw), upsert(k, 2, fw)], metadata: {} });
      await expect(tx).rejects.toThrow(ETagMismatchError);
      expect(await store.get(getRequest(k))).toEqual({});
    });

    it('a malformed TTL anywhere fails the transaction before anything is written', async () => {
      const [a, b] = [key('tx-ttl-a'), key('tx-ttl-b')];
      const tx = store.transact({
        operations: [upsert(a, 1), upsert(b, 2, { metadata: { ttlInSeconds: 'x' } })],
        metadata: {},
      });
      await expect(tx).rejects.toThrow(InvalidArgumentError);
      expect(await store.get(getRequest(a))).toEqual({});
    });

    it('runs a single operation directly and accepts an empty transaction and a delete of a missing key', async () => {
      const k = key('tx-single');
      await store.transact({ operations: [], metadata: {} });
      await store.transact({ operations: [remove(key('tx-missing'))], metadata: {} });
      await store.transact({ operations: [upsert(k, 'one', { metadata: { ttlInSeconds: '3600' } })], metadata: {} });
      expect((await store.get(getRequest(k))).metadata?.ttlExpireTime).toBeDefined();
      await expect(store.transact({ operations: [remove(k, { etag: 'bad' })], metadata: {} })).rejects.toThrow(
        ETagMismatchError,
      );
    });

    it('leaves a usable pool after many failed transactions', async () => {
      const k = key('tx-pool');
      for (let i = 0; i < 15; i++) {
        await expect(
          store.transact({ operations: [upsert(k, i), remove(k, { etag: 'bad' })], metadata: {} }),
        ).rejects.toThrow();
      }
      await store.transact({ operations: [upsert(k, 'ok'), upsert(key('tx-pool-2'), 'ok')], metadata: {} });
      expect(await value(k)).toBe('ok');
    });
  });

  it('pings', async () => {
    await store.ping();
  });
});
