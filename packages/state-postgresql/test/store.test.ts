/** Reads, writes, ETags, first-write, TTL, bulk and transactions against the real server. */
import {
  BulkError,
  bulk,
  ErrorCode,
  ETagInvalidError,
  ETagMismatchError,
  FailedPreconditionError,
  InvalidArgumentError,
  isETagError,
  resolveStateFeatures,
  StateFeature,
} from '@daprkit/component-sdk';
import { beforeAll, expect, it } from 'vitest';
import { createPostgresStateStore, type PostgresStateStore } from '../src/index.js';
import {
  deleteRequest,
  describePostgres,
  json,
  parsed,
  setRequest,
  sleep,
  text,
  useDatabase,
} from './support/postgres.js';

describePostgres('PostgresStateStore', () => {
  const db = useDatabase();
  let store: PostgresStateStore;
  let tableName: string;
  beforeAll(async () => {
    ({ store, tableName } = await db.open());
  });
  const get = (key: string) => store.get({ key, metadata: {} });
  const rawRow = async (key: string) =>
    (await db.admin.query(`SELECT value, isbinary, expiredate FROM ${tableName} WHERE key = $1`, [key])).rows[0];

  it('advertises ETAG, TTL, TRANSACTIONAL and QUERY_API and answers ping', async () => {
    expect(new Set(resolveStateFeatures(store))).toEqual(
      new Set([StateFeature.ETag, StateFeature.TTL, StateFeature.Transactional, StateFeature.QueryAPI]),
    );
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('round-trips JSON values (normalized by jsonb) and keeps keys verbatim', async () => {
    const key = 'app||crud/json ünïcode';
    await store.set(setRequest(key, new TextEncoder().encode('{ "b": 1,   "a": [true, null, "x"] }')));
    const got = await get(key);
    expect(parsed(got.data)).toEqual({ a: [true, null, 'x'], b: 1 });
    expect(text(got.data)).toBe('{"a": [true, null, "x"], "b": 1}');
    expect(await rawRow(key)).toMatchObject({ value: { a: [true, null, 'x'], b: 1 }, isbinary: false });

    await store.set(setRequest('app||crud-string', json('{"a":"b"}')));
    expect(text((await get('app||crud-string')).data)).toBe('"{\\"a\\":\\"b\\"}"');
    await store.set(setRequest('app||crud-empty', json('')));
    expect(text((await get('app||crud-empty')).data)).toBe('""');
  });

  it('round-trips bytes byte-exact, including non-UTF-8, as contrib base64 rows', async () => {
    const proto = new Uint8Array([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    await store.set(setRequest('app||bytes', proto));
    expect((await get('app||bytes')).data).toEqual(proto);
    expect(await rawRow('app||bytes')).toMatchObject({ value: Buffer.from(proto).toString('base64'), isbinary: true });

    const plain = new TextEncoder().encode('testValue1');
    await store.set(setRequest('app||plain-text', plain));
    expect((await get('app||plain-text')).data).toEqual(plain);
  });

  it('keeps what jsonb accepts as JSON and everything else as binary, both readable', async () => {
    const jsonbTexts = ['{"id":"ae19484e"}', '"\\\\u0000"', '1e9999', '"\\ud83d\\ude00"'];
    const binaryTexts = ['"\\u0000"', '"\\ud800"', '1e99999'];
    for (const [i, value] of [...jsonbTexts, ...binaryTexts].entries()) {
      const bytes = new TextEncoder().encode(value);
      await store.set(setRequest(`app||edge-${i}`, bytes));
      expect(parsed((await get(`app||edge-${i}`)).data)).toEqual(JSON.parse(value));
      expect((await rawRow(`app||edge-${i}`)).isbinary).toBe(i >= jsonbTexts.length);
    }
  });

  it('returns nothing (no data, no etag) for missing keys and deletes missing keys without error', async () => {
    expect(await get('app||never-written')).toEqual({});
    await expect(store.delete(deleteRequest('app||never-written'))).resolves.toBeUndefined();
    await store.set(setRequest('app||to-delete', 1));
    await store.delete(deleteRequest('app||to-delete'));
    expect(await get('app||to-delete')).toEqual({});
  });

  it('uses xmin as the etag: changes on every write, guards set and delete', async () => {
    const key = 'app||etag';
    await store.set(setRequest(key, 'first'));
    const first = (await get(key)).etag!;
    expect(first).toMatch(/^\d+$/);

    await expect(store.set(setRequest(key, 'second', { etag: '1' }))).rejects.toBeInstanceOf(ETagMismatchError);
    await expect(store.set(setRequest(key, 'second', { etag: 'not-a-number' }))).rejects.toBeInstanceOf(
      ETagInvalidError,
    );
    await expect(store.set(setRequest(key, 'second', { etag: '4294967296' }))).rejects.toBeInstanceOf(ETagInvalidError);
    expect(await get(key)).toMatchObject({ etag: first });
    expect(parsed((await get(key)).data)).toBe('first');

    await store.set(setRequest(key, 'second', { etag: first }));
    const second = await get(key);
    expect(parsed(second.data)).toBe('second');
    expect(second.etag).not.toBe(first);
    await expect(store.set(setRequest(key, 'third', { etag: first }))).rejects.toSatisfy((e) =>
      isETagError(e, 'mismatch'),
    );

    await expect(store.delete(deleteRequest(key, { etag: first }))).rejects.toBeInstanceOf(ETagMismatchError);
    await expect(store.delete(deleteRequest(key, { etag: 'x' }))).rejects.toBeInstanceOf(ETagInvalidError);
    await store.delete(deleteRequest(key, { etag: second.etag! }));
    expect(await get(key)).toEqual({});
    // An etag on a missing key can never match.
    await expect(store.set(setRequest(key, 'again', { etag: second.etag! }))).rejects.toBeInstanceOf(ETagMismatchError);
  });

  it('first-write without an etag is insert-only (an empty etag counts as none)', async () => {
    const key = 'app||first-write';
    const firstWrite = { options: { concurrency: 'first-write', consistency: 'strong' } } as const;
    await store.set(setRequest(key, 'v1', firstWrite));
    await expect(store.set(setRequest(key, 'v2', firstWrite))).rejects.toBeInstanceOf(ETagMismatchError);
    await expect(store.set(setRequest(key, 'v2', { ...firstWrite, etag: '' }))).rejects.toBeInstanceOf(
      ETagMismatchError,
    );
    expect(parsed((await get(key)).data)).toBe('v1');

    const etag = (await get(key)).etag!;
    await store.set(setRequest(key, 'v2', { ...firstWrite, etag }));
    await expect(store.set(setRequest(key, 'v3', { ...firstWrite, etag }))).rejects.toBeInstanceOf(ETagMismatchError);
    expect(parsed((await get(key)).data)).toBe('v2');
  });

  it('first-write may replace a row that expired but was not collected yet', async () => {
    const key = 'app||first-write-expired';
    await store.set(setRequest(key, 'old', { metadata: { ttlInSeconds: '100' } }));
    await db.admin.query(`UPDATE ${tableName} SET expiredate = now() - interval '1 second' WHERE key = $1`, [key]);
    await store.set(setRequest(key, 'new', { options: { concurrency: 'first-write' } }));
    expect(parsed((await get(key)).data)).toBe('new');
  });

  it('expires rows on read, reports ttlExpireTime, and clears it with -1 or no TTL', async () => {
    const key = 'app||ttl';
    await expect(store.set(setRequest(key, 'x', { metadata: { ttlInSeconds: 'foo' } }))).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );

    await store.set(setRequest(key, 'x', { metadata: { ttlInSeconds: '3600' } }));
    const expireTime = Date.parse((await get(key)).metadata!.ttlExpireTime!);
    expect(Math.abs(expireTime - (Date.now() + 3_600_000))).toBeLessThan(60_000);

    await store.set(setRequest(key, 'x', { metadata: { ttlInSeconds: '-1' } }));
    expect((await get(key)).metadata).toBeUndefined();
    expect((await rawRow(key)).expiredate).toBeNull();
    await store.set(setRequest(key, 'x', { metadata: { ttlInSeconds: '100' } }));
    await store.set(setRequest(key, 'x'));
    expect((await get(key)).metadata).toBeUndefined();

    await store.set(setRequest(key, 'short', { metadata: { ttlInSeconds: '1' } }));
    expect(parsed((await get(key)).data)).toBe('short');
    await sleep(2_100);
    expect(await get(key)).toEqual({});
    expect((await bulk.get(store, [{ key, metadata: {} }]))[0]).toEqual({ key });
    // Still in the table until the collector runs: expiry is enforced by the read filter.
    expect(await rawRow(key)).toBeDefined();
  });

  it('bulkGet answers one query with one item per requested key, in request order', async () => {
    await store.set(setRequest('app||bulk-1', 1, { metadata: { ttlInSeconds: '3600' } }));
    await store.set(setRequest('app||bulk-2', new Uint8Array([0x01])));
    const items = await store.bulkGet([
      { key: 'app||bulk-missing', metadata: {} },
      { key: 'app||bulk-2', metadata: {} },
      { key: 'app||bulk-1', metadata: {} },
      { key: 'app||bulk-2', metadata: {} },
    ]);
    expect(items.map((i) => i.key)).toEqual(['app||bulk-missing', 'app||bulk-2', 'app||bulk-1', 'app||bulk-2']);
    expect(items[0]).toEqual({ key: 'app||bulk-missing' });
    expect(items[1]!.data).toEqual(new Uint8Array([0x01]));
    expect(parsed(items[2]!.data)).toBe(1);
    expect(items[2]!.metadata?.ttlExpireTime).toMatch(/Z$/);
    expect(items[2]!.etag).toMatch(/^\d+$/);
    expect(await store.bulkGet([])).toEqual([]);
  });

  it('bulk set/delete are per item: failures are aggregated, successes stay applied', async () => {
    await bulk.set(store, [setRequest('app||bs-1', 1), setRequest('app||bs-2', 1)]);
    const etag1 = (await get('app||bs-1')).etag!;
    const failure = await bulk
      .set(store, [setRequest('app||bs-1', 2, { etag: etag1 }), setRequest('app||bs-2', 2, { etag: '1' })])
      .catch((e) => e);
    expect(failure).toBeInstanceOf(BulkError);
    expect((failure as BulkError).errors.map((e) => [e.key, e.etagError()?.kind])).toEqual([['app||bs-2', 'mismatch']]);
    expect(parsed((await get('app||bs-1')).data)).toBe(2);
    expect(parsed((await get('app||bs-2')).data)).toBe(1);
    await bulk.delete(store, [deleteRequest('app||bs-1'), deleteRequest('app||bs-2')]);
    expect(await get('app||bs-1')).toEqual({});
  });

  it('applies transactions in order, all or nothing', async () => {
    await store.set(setRequest('app||tx-1', 'value1'));
    await store.transact({
      metadata: {},
      operations: [
        { operation: 'delete', request: deleteRequest('app||tx-1') },
        { operation: 'upsert', request: setRequest('app||tx-2', 'value2') },
        { operation: 'delete', request: deleteRequest('app||tx-2') },
        { operation: 'upsert', request: setRequest('app||tx-3', 'value3') },
      ],
    });
    expect((await get('app||tx-1')).data).toBeUndefined();
    expect((await get('app||tx-2')).data).toBeUndefined();
    expect(text((await get('app||tx-3')).data)).toBe('"value3"');

    const stale = (await get('app||tx-3')).etag!;
    await store.set(setRequest('app||tx-3', 'changed'));
    const attempt = store.transact({
      metadata: {},
      operations: [
        { operation: 'upsert', request: setRequest('app||tx-4', 'applied?') },
        { operation: 'delete', request: deleteRequest('app||tx-3-other') },
        { operation: 'upsert', request: setRequest('app||tx-3', 'lost update', { etag: stale }) },
      ],
    });
    await expect(attempt).rejects.toBeInstanceOf(ETagMismatchError);
    expect(await get('app||tx-4')).toEqual({});
    expect(parsed((await get('app||tx-3')).data)).toBe('changed');

    await store.transact({
      metadata: {},
      operations: [{ operation: 'delete', request: deleteRequest('app||tx-none') }],
    });
    await store.transact({ metadata: {}, operations: [] });
  });

  it('counts to 400 with 8 concurrent writers doing 50 first-write/etag increments each', async () => {
    const key = 'app||counter';
    const increment = async () => {
      for (;;) {
        const current = await get(key);
        const next = (current.data === undefined ? 0 : (parsed(current.data) as number)) + 1;
        const options = { concurrency: 'first-write' } as const;
        try {
          await store.set(setRequest(key, next, { options, ...(current.etag ? { etag: current.etag } : {}) }));
          return;
        } catch (err) {
          if (!(err instanceof ETagMismatchError)) throw err;
        }
      }
    };
    const worker = async () => {
      for (let i = 0; i < 50; i++) await increment();
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(parsed((await get(key)).data)).toBe(400);
  });

  it('bounds each operation by the timeout and reports it as DeadlineExceeded', async () => {
    const { store: impatient, tableName: table } = await db.open({ timeout: '1s' });
    await impatient.set(setRequest('locked', 1));
    const blocker = await db.admin.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(`SELECT 1 FROM ${table} WHERE key = 'locked' FOR UPDATE`);
      const started = Date.now();
      await expect(impatient.set(setRequest('locked', 2))).rejects.toMatchObject({ code: ErrorCode.DeadlineExceeded });
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
    }
    expect(parsed((await impatient.get({ key: 'locked', metadata: {} })).data)).toBe(1);
  });

  it('refuses calls before init and after close', async () => {
    await expect(createPostgresStateStore().get({ key: 'k', metadata: {} })).rejects.toThrow(/init has not completed/);
    const { store: closing } = await db.open();
    await closing.close();
    await closing.close();
    await expect(closing.get({ key: 'k', metadata: {} })).rejects.toBeInstanceOf(FailedPreconditionError);
    await expect(closing.init({ connectionString: 'postgres://x@127.0.0.1/db' })).rejects.toBeInstanceOf(
      FailedPreconditionError,
    );
  });
});
