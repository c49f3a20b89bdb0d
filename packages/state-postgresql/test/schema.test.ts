/** Schema parity with contrib v1, migrations, the §0.5 collector, and init failures. */
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { InvalidMetadataError } from '@daprkit/component-sdk';
import { describe, expect, it } from 'vitest';
import { PostgresStateStore } from '../src/index.js';
import { describePostgres, PG_URL, setRequest, sleep, uniqueName, useDatabase } from './support/postgres.js';

async function initError(
  properties: Record<string, string>,
): Promise<{ error: InvalidMetadataError; elapsedMs: number }> {
  const started = Date.now();
  const error = await new PostgresStateStore().init(properties).then(
    () => {
      throw new Error('init unexpectedly succeeded');
    },
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(InvalidMetadataError);
  return { error: error as InvalidMetadataError, elapsedMs: Date.now() - started };
}

describe('init failures (no server needed)', () => {
  it('fails fast on a closed port, naming connectionString without the password', async () => {
    const { error, elapsedMs } = await initError({
      connectionString: 'postgres://daprkit:s3cret-pw@127.0.0.1:1/daprkit',
    });
    expect(error.field).toBe('connectionString');
    expect(error.message).toContain('postgres://daprkit:***@127.0.0.1:1/daprkit');
    expect(error.message).not.toContain('s3cret-pw');
    expect(elapsedMs).toBeLessThan(5_000);
  });

  it('caps the wait for an unresponsive server at 5 s, whatever the operation timeout', async () => {
    // Accepts TCP connections and never answers the startup message.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const { error, elapsedMs } = await initError({
        host: '127.0.0.1',
        port: String(port),
        user: 'u',
        password: 'pw-xyz',
      });
      expect(error.field).toBe('connectionString');
      expect(error.message).toMatch(/timeout/);
      expect(error.message).not.toContain('pw-xyz');
      expect(elapsedMs).toBeGreaterThanOrEqual(4_500);
      expect(elapsedMs).toBeLessThan(7_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});

describePostgres('schema and migrations', () => {
  const db = useDatabase();
  const columnsOf = async (table: string) =>
    (
      await db.admin.query(
        `SELECT column_name, data_type, is_nullable, is_identity, column_default FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
        [table],
      )
    ).rows;
  const metadataRows = async (table: string) =>
    Object.fromEntries((await db.admin.query(`SELECT key, value FROM ${table}`)).rows.map((r) => [r.key, r.value]));

  it('creates contrib v1 tables (columns, types, keys) at migration level 3', async () => {
    const { tableName, metadataTableName } = await db.open();
    expect(await columnsOf(tableName)).toEqual([
      { column_name: 'key', data_type: 'text', is_nullable: 'NO', is_identity: 'NO', column_default: null },
      { column_name: 'value', data_type: 'jsonb', is_nullable: 'NO', is_identity: 'NO', column_default: null },
      { column_name: 'isbinary', data_type: 'boolean', is_nullable: 'NO', is_identity: 'NO', column_default: null },
      {
        column_name: 'insertdate',
        data_type: 'timestamp with time zone',
        is_nullable: 'NO',
        is_identity: 'NO',
        column_default: 'now()',
      },
      {
        column_name: 'updatedate',
        data_type: 'timestamp with time zone',
        is_nullable: 'YES',
        is_identity: 'NO',
        column_default: null,
      },
      {
        column_name: 'expiredate',
        data_type: 'timestamp with time zone',
        is_nullable: 'YES',
        is_identity: 'NO',
        column_default: null,
      },
      { column_name: 'row_id', data_type: 'bigint', is_nullable: 'NO', is_identity: 'YES', column_default: null },
    ]);
    const indexes = (
      await db.admin.query(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = $1`, [tableName])
    ).rows;
    expect(indexes.map((i) => i.indexdef)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`UNIQUE INDEX ${tableName}_pkey ON .* \\(key\\)`)),
        expect.stringMatching(new RegExp(`UNIQUE INDEX ${tableName}_row_id_uidx ON .* \\(row_id\\)`)),
      ]),
    );
    expect(await columnsOf(metadataTableName)).toEqual([
      { column_name: 'key', data_type: 'text', is_nullable: 'NO', is_identity: 'NO', column_default: null },
      { column_name: 'value', data_type: 'text', is_nullable: 'NO', is_identity: 'NO', column_default: null },
    ]);
    expect(await metadataRows(metadataTableName)).toEqual({ lock: 'lock', migrations: '3' });
  });

  it('is idempotent: a second init on the same tables keeps data and level', async () => {
    const first = await db.open();
    await first.store.set(setRequest('k', 'kept'));
    const second = await db.open({ tableName: first.tableName, metadataTableName: first.metadataTableName });
    expect(new TextDecoder().decode((await second.store.get({ key: 'k', metadata: {} })).data)).toBe('"kept"');
    expect((await metadataRows(first.metadataTableName)).migrations).toBe('3');
  });

  it('upgrades a table left at level 1 by an old contrib sidecar', async () => {
    const tableName = db.track(uniqueName('state'));
    const metadataTableName = db.track(uniqueName('meta'));
    await db.admin.query(`CREATE TABLE ${metadataTableName} (key text NOT NULL PRIMARY KEY, value text NOT NULL)`);
    await db.admin.query(`INSERT INTO ${metadataTableName} VALUES ('migrations', '1')`);
    await db.admin.query(`CREATE TABLE ${tableName} (key text NOT NULL PRIMARY KEY, value jsonb NOT NULL,
      isbinary boolean NOT NULL, insertdate TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(), updatedate TIMESTAMP WITH TIME ZONE NULL)`);
    await db.admin.query(`INSERT INTO ${tableName} (key, value, isbinary, insertdate) VALUES
      ('b', '"second"', false, now() - interval '1 hour'), ('a', '"AQ=="', true, now() - interval '1 hour'),
      ('c', '{"n": 1}', false, now() - interval '2 hours')`);

    const { store } = await db.open({ tableName, metadataTableName });
    expect((await metadataRows(metadataTableName)).migrations).toBe('3');
    expect((await columnsOf(tableName)).map((c) => c.column_name)).toEqual([
      'key',
      'value',
      'isbinary',
      'insertdate',
      'updatedate',
      'expiredate',
      'row_id',
    ]);
    const order = (await db.admin.query(`SELECT key, row_id FROM ${tableName} ORDER BY row_id`)).rows;
    expect(order).toEqual([
      { key: 'c', row_id: '1' },
      { key: 'a', row_id: '2' },
      { key: 'b', row_id: '3' },
    ]);
    expect((await store.get({ key: 'a', metadata: {} })).data).toEqual(new Uint8Array([0x01]));

    await store.set(setRequest('d', 'new'));
    expect((await db.admin.query(`SELECT row_id FROM ${tableName} WHERE key = 'd'`)).rows[0].row_id).toBe('4');
  });

  it('creates a second state table that shares the metadata table (contrib keys one level for all)', async () => {
    const { metadataTableName } = await db.open();
    const other = await db.open({ metadataTableName });
    await other.store.set(setRequest('k', 1));
    expect((await columnsOf(other.tableName)).length).toBe(7);
  });

  it('accepts a schema-qualified table name', async () => {
    const schema = uniqueName('schema');
    await db.admin.query(`CREATE SCHEMA ${schema}`);
    try {
      const { store } = await db.open({ tableName: `${schema}.state`, metadataTableName: `${schema}.meta` });
      await store.set(setRequest('k', 'in schema'));
      const rows = (await db.admin.query(`SELECT key FROM ${schema}.state`)).rows;
      expect(rows).toEqual([{ key: 'k' }]);
      await store.close();
    } finally {
      await db.admin.query(`DROP SCHEMA ${schema} CASCADE`);
    }
  });

  it('reports a wrong password naming connectionString, without echoing it', async () => {
    const url = new URL(PG_URL);
    url.password = 'definitely-wrong-pw';
    const { error } = await initError({ connectionString: url.toString() });
    expect(error.field).toBe('connectionString');
    expect(error.message).toMatch(/password authentication failed/);
    expect(error.message).not.toContain('definitely-wrong-pw');
  });
});

describePostgres('expired-row collector', () => {
  const db = useDatabase();
  const rowCount = async (table: string) =>
    Number((await db.admin.query(`SELECT count(*) FROM ${table}`)).rows[0].count);
  const expireAll = (table: string) => db.admin.query(`UPDATE ${table} SET expiredate = now() - interval '1 second'`);

  it('removes expired rows on its own with a short interval', async () => {
    const { store, tableName } = await db.open({ cleanupInterval: '1s' });
    await store.set(setRequest('short-lived', 1, { metadata: { ttlInSeconds: '1' } }));
    await store.set(setRequest('forever', 1));
    const deadline = Date.now() + 6_000;
    while ((await rowCount(tableName)) > 1 && Date.now() < deadline) await sleep(200);
    expect((await db.admin.query(`SELECT key FROM ${tableName}`)).rows).toEqual([{ key: 'forever' }]);
  });

  it('runs a tick in only one of the processes sharing the metadata table', async () => {
    const a = await db.open({ cleanupInterval: '1h' });
    const b = await db.open({ cleanupInterval: '1h', tableName: a.tableName, metadataTableName: a.metadataTableName });
    await a.store.set(setRequest('x1', 1, { metadata: { ttlInSeconds: '100' } }));
    await a.store.set(setRequest('x2', 1, { metadata: { ttlInSeconds: '100' } }));
    await expireAll(a.tableName);

    expect(await a.store.cleanupExpired()).toBe(2);
    const marker = await db.admin.query(
      `SELECT value::timestamptz AS at FROM ${a.metadataTableName} WHERE key = 'last-cleanup'`,
    );
    expect(Math.abs(marker.rows[0].at.getTime() - Date.now())).toBeLessThan(60_000);

    await b.store.set(setRequest('y1', 1, { metadata: { ttlInSeconds: '100' } }));
    await expireAll(a.tableName);
    expect(await b.store.cleanupExpired()).toBe(0);
    expect(await a.store.cleanupExpired()).toBe(0);
    expect(await rowCount(a.tableName)).toBe(1);

    // Once the last run is older than the interval, the next claimant wins.
    await db.admin.query(
      `UPDATE ${a.metadataTableName} SET value = (now() - interval '2 hours')::text WHERE key = 'last-cleanup'`,
    );
    expect(await b.store.cleanupExpired()).toBe(1);
    expect(await rowCount(a.tableName)).toBe(0);
  });
});
