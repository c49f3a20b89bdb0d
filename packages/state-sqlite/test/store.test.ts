/** Behaviour on real database files: contrib's schema and bookkeeping, the stored forms, locks held elsewhere. */
import { isETagError } from '@daprkit/component-sdk';
import { describe, expect, it } from 'vitest';
import { LATEST_MIGRATION_LEVEL } from '../src/index.js';
import { bytes, deleteRequest, getRequest, json, setRequest, text, useFiles } from './support.js';

const files = useFiles();

describe('schema and migrations', () => {
  it("creates contrib's tables, columns in contrib's order, and records the migration level", async () => {
    const file = files.file();
    await files.open({ connectionString: file, tableName: 'st', metadataTableName: 'md' });
    const raw = files.raw(file);
    const columns = raw.prepare('SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(\'st\')').all();
    expect(columns).toEqual([
      { name: 'key', type: 'TEXT', notnull: 1, dflt_value: null, pk: 1 },
      { name: 'value', type: 'TEXT', notnull: 1, dflt_value: null, pk: 0 },
      { name: 'is_binary', type: 'BOOLEAN', notnull: 1, dflt_value: null, pk: 0 },
      { name: 'etag', type: 'TEXT', notnull: 1, dflt_value: null, pk: 0 },
      { name: 'expiration_time', type: 'TIMESTAMP', notnull: 0, dflt_value: 'NULL', pk: 0 },
      { name: 'update_time', type: 'TIMESTAMP', notnull: 1, dflt_value: 'CURRENT_TIMESTAMP', pk: 0 },
    ]);
    expect(raw.prepare("SELECT value FROM md WHERE key = 'migrations'").get()).toEqual({
      value: String(LATEST_MIGRATION_LEVEL),
    });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('reopening a migrated file changes nothing; disableWAL uses the rollback journal', async () => {
    const file = files.file();
    const a = await files.open({ connectionString: file });
    await a.set(setRequest('k', { v: 1 }));
    await a.close();
    const b = await files.open({ connectionString: `file:${file}`, disableWAL: 'true' });
    expect(text((await b.get(getRequest('k'))).data)).toBe('{"v":1}');
    expect(files.raw(file).pragma('journal_mode', { simple: true })).toBe('delete');
  });

  it('refuses an unknown migration level instead of guessing', async () => {
    const file = files.file();
    const raw = files.raw(file);
    raw.exec(
      "CREATE TABLE metadata (key text NOT NULL PRIMARY KEY, value text NOT NULL); INSERT INTO metadata VALUES ('migrations', 'x')",
    );
    await expect(files.open({ connectionString: file })).rejects.toThrow(/invalid migration level/);
  });

  it('opens a read-only file without migrating and refuses writes', async () => {
    const file = files.file();
    const w = await files.open({ connectionString: file });
    await w.set(setRequest('ro', 'x'));
    const r = await files.open({ connectionString: `file:${file}?mode=ro` });
    expect(text((await r.get(getRequest('ro'))).data)).toBe('"x"');
    await expect(r.set(setRequest('ro', 'y'))).rejects.toThrow(/readonly/i);
  });
});

describe('stored forms (what a Go sidecar reads)', () => {
  it('JSON as text, other bytes as base64, UUID ETags, SQLite text timestamps', async () => {
    const file = files.file();
    const store = await files.open({ connectionString: file });
    await store.set(setRequest('j', { b: 2, a: 1 }));
    await store.set(setRequest('bin', new Uint8Array([0, 1, 2, 255])));
    await store.set(setRequest('ttl', 'x', { metadata: { ttlInSeconds: '100' } }));
    const rows = files
      .raw(file)
      .prepare(
        'SELECT key, value, is_binary, etag, expiration_time, typeof(value) AS vt, typeof(is_binary) AS bt, update_time FROM state ORDER BY key',
      )
      .all() as Record<string, unknown>[];
    const [bin, j, ttl] = rows as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
    expect(j).toMatchObject({ value: '{"b":2,"a":1}', is_binary: 0, vt: 'text', bt: 'integer', expiration_time: null });
    expect(bin).toMatchObject({ value: 'AAEC/w==', is_binary: 1, vt: 'text' });
    expect(String(j.etag)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(String(ttl.expiration_time)).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(String(j.update_time)).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    const got = await store.get(getRequest('ttl'));
    const expire = Date.parse(got.metadata!.ttlExpireTime!);
    expect(got.metadata!.ttlExpireTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Math.abs(expire - (Date.now() + 100_000))).toBeLessThan(3_000);
    expect([...(await store.get(getRequest('bin'))).data!]).toEqual([0, 1, 2, 255]);
  });

  it('reads rows another writer put there (is_binary as bool/int, BLOB-free text)', async () => {
    const file = files.file();
    const store = await files.open({ connectionString: file });
    const raw = files.raw(file);
    raw
      .prepare(
        "INSERT INTO state (key, value, is_binary, etag, expiration_time) VALUES ('go1', 'aGk=', 1, 'e1', NULL), ('go2', '[1,2]', 0, 'e2', DATETIME(CURRENT_TIMESTAMP, '+60 seconds')), ('gone', '1', 0, 'e3', '2000-01-01 00:00:00')",
      )
      .run();
    expect(await store.get(getRequest('go1'))).toEqual({ data: bytes('hi'), etag: 'e1' });
    expect(text((await store.get(getRequest('go2'))).data)).toBe('[1,2]');
    expect(await store.get(getRequest('gone'))).toEqual({});
    const bulk = await store.bulkGet([getRequest('go2'), getRequest('gone'), getRequest('go1'), getRequest('go2')]);
    expect(bulk.map((b) => [b.key, b.etag])).toEqual([
      ['go2', 'e2'],
      ['gone', undefined],
      ['go1', 'e1'],
      ['go2', 'e2'],
    ]);
  });
});

describe('ETags, first-write, TTL and the collector', () => {
  it('first-write replaces an expired row but not a live one; an ETag never revives an expired row', async () => {
    const file = files.file();
    const store = await files.open({ connectionString: file });
    const raw = files.raw(file);
    raw
      .prepare(
        "INSERT INTO state (key, value, is_binary, etag, expiration_time) VALUES ('old', '1', 0, 'e-old', '2000-01-01 00:00:00')",
      )
      .run();
    await expect(store.set(setRequest('old', 2, { etag: 'e-old' }))).rejects.toSatisfy((e) =>
      isETagError(e, 'mismatch'),
    );
    await store.set(setRequest('old', 3, { options: { concurrency: 'first-write' } }));
    expect(text((await store.get(getRequest('old'))).data)).toBe('3');
    await expect(store.set(setRequest('old', 4, { options: { concurrency: 'first-write' } }))).rejects.toSatisfy((e) =>
      isETagError(e, 'mismatch'),
    );
    await expect(store.delete(deleteRequest('old', { etag: 'nope' }))).rejects.toSatisfy((e) =>
      isETagError(e, 'mismatch'),
    );
    await store.delete(deleteRequest('missing'));
  });

  it('the collector claims the interval in the metadata table and removes only expired rows', async () => {
    const file = files.file();
    const store = await files.open({ connectionString: file, cleanupInterval: '1h' });
    const other = await files.open({ connectionString: file, cleanupInterval: '1h' });
    const raw = files.raw(file);
    raw
      .prepare(
        "INSERT INTO state (key, value, is_binary, etag, expiration_time) VALUES ('x1', '1', 0, 'e', '2000-01-01 00:00:00'), ('x2', '1', 0, 'e', '2000-01-01 00:00:00')",
      )
      .run();
    await store.set(setRequest('live', 1, { metadata: { ttlInSeconds: '600' } }));
    expect(await store.cleanupExpired()).toBe(2);
    // The other replica sees the claim and skips its tick.
    raw
      .prepare(
        "INSERT INTO state (key, value, is_binary, etag, expiration_time) VALUES ('x3', '1', 0, 'e', '2000-01-01 00:00:00')",
      )
      .run();
    expect(await other.cleanupExpired()).toBe(0);
    expect(raw.prepare("SELECT value FROM metadata WHERE key = 'last-cleanup'").get()).toEqual({
      value: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
    });
    expect((raw.prepare('SELECT key FROM state ORDER BY key').all() as { key: string }[]).map((r) => r.key)).toEqual([
      'live',
      'x3',
    ]);
  });

  it('rejects bad TTLs and empty keys with contrib-like messages', async () => {
    const store = await files.open({ connectionString: files.file() });
    await expect(store.set(setRequest('k', 1, { metadata: { ttlInSeconds: 'soon' } }))).rejects.toThrow(/ttlInSeconds/);
    await expect(store.set(setRequest('', 1))).rejects.toThrow('missing key in set option');
    await expect(store.get(getRequest(''))).rejects.toThrow('missing key in get operation');
    await expect(store.delete(deleteRequest(''))).rejects.toThrow('missing key in delete operation');
  });
});

describe('transactions', () => {
  it('apply in order and roll back entirely on a failed ETag', async () => {
    const store = await files.open({ connectionString: files.file() });
    await store.set(setRequest('a', 1));
    await store.transact({
      operations: [
        { operation: 'upsert', request: setRequest('b', 2) },
        { operation: 'delete', request: deleteRequest('a') },
        { operation: 'upsert', request: setRequest('a', 3) },
      ],
      metadata: {},
    });
    expect(text((await store.get(getRequest('a'))).data)).toBe('3');
    await expect(
      store.transact({
        operations: [
          { operation: 'upsert', request: setRequest('c', 1) },
          { operation: 'upsert', request: setRequest('b', 9, { etag: 'stale' }) },
        ],
        metadata: {},
      }),
    ).rejects.toSatisfy((e) => isETagError(e, 'mismatch'));
    expect(await store.get(getRequest('c'))).toEqual({});
    expect(text((await store.get(getRequest('b'))).data)).toBe('2');
  });
});

describe('a lock held by another connection', () => {
  it('waits for it without blocking the event loop, within busyTimeout', async () => {
    const file = files.file();
    const store = await files.open({ connectionString: file, busyTimeout: '3s' });
    const raw = files.raw(file);
    raw.exec('BEGIN IMMEDIATE');
    raw.prepare("INSERT INTO state (key, value, is_binary, etag) VALUES ('held', '1', 0, 'e')").run();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    setTimeout(() => raw.exec('COMMIT'), 300);
    const started = Date.now();
    await store.set(setRequest('mine', json(1)));
    clearInterval(timer);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(ticks).toBeGreaterThan(5);
    expect(text((await store.get(getRequest('held'))).data)).toBe('1');
  });

  it('gives up after busyTimeout with a retryable error, and at once when it is 0', async () => {
    const file = files.file();
    const patient = await files.open({ connectionString: file, busyTimeout: '200ms' });
    const impatient = await files.open({ connectionString: file, busyTimeout: '0' });
    const raw = files.raw(file);
    raw.exec('BEGIN IMMEDIATE');
    try {
      const started = Date.now();
      await expect(patient.set(setRequest('k', 1))).rejects.toThrow(/database is locked \(waited 200ms\)/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      await expect(impatient.set(setRequest('k', 1))).rejects.toThrow(/locked/);
      // Readers are not blocked by a writer in WAL mode.
      expect(await patient.get(getRequest('k'))).toEqual({});
    } finally {
      raw.exec('ROLLBACK');
    }
  });
});

describe('group commit', () => {
  it('writes of one event-loop turn commit together; a failing one is rolled back alone', async () => {
    const file = files.file();
    const store = await files.open({ connectionString: file });
    await store.set(setRequest('g0', 0));
    const etag = (await store.get(getRequest('g0'))).etag!;
    const outcomes = await Promise.allSettled([
      store.set(setRequest('g1', 1)),
      store.set(setRequest('g0', 'stale', { etag: 'not-the-etag' })),
      store.transact({
        operations: [
          { operation: 'upsert', request: setRequest('g2', 2) },
          { operation: 'upsert', request: setRequest('g3', 3, { etag: 'also-wrong' }) },
        ],
        metadata: {},
      }),
      store.set(setRequest('g0', 'fresh', { etag })),
      // The ETag the previous write in the same batch just replaced: must conflict.
      store.set(setRequest('g0', 'late', { etag })),
      store.delete(deleteRequest('g1')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual([
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    const rows = files.raw(file).prepare('SELECT key, value FROM state ORDER BY key').all();
    expect(rows).toEqual([{ key: 'g0', value: '"fresh"' }]);
  });
});
