import { InvalidMetadataError, UnavailableError } from '@daprkit/component-sdk';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMySqlStateStore, MySqlStateStore } from '../src/index.js';
import {
  adminConnection,
  DSN,
  describeWithMySql,
  dropSchema,
  eventually,
  getRequest,
  parsed,
  recordingLogger,
  setRequest,
  sleep,
  uniqueSchema,
} from './helpers.js';

describeWithMySql('schema, collector and connection lifecycle', () => {
  const schemaName = uniqueSchema();
  let admin: Connection;
  const stores: MySqlStateStore[] = [];
  const open = async (properties: Record<string, string> = {}, logger = recordingLogger()) => {
    const store = await createMySqlStateStore(
      { connectionString: DSN, schemaName, cleanupInterval: '0', ...properties },
      { logger },
    );
    stores.push(store);
    return store;
  };
  const rows = async (sql: string, params: unknown[] = []) => (await admin.query<RowDataPacket[]>(sql, params))[0];
  const rawCount = async (table: string) => Number((await rows(`SELECT COUNT(*) AS n FROM \`${table}\``))[0]?.n);

  beforeAll(async () => {
    admin = await adminConnection();
  });
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await admin?.end();
    await dropSchema(schemaName);
  });

  describe('schema', () => {
    it('creates the database and the tables exactly as contrib does, with a binary key collation', async () => {
      await open({ tableName: 'fresh', metadataTableName: 'fresh_meta' });
      const columns = await rows(
        `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLUMN_KEY AS k, EXTRA AS extra, COLLATION_NAME AS collation
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'fresh' ORDER BY ORDINAL_POSITION`,
        [schemaName],
      );
      const byName = Object.fromEntries(columns.map((c) => [c.name, c]));
      expect(Object.keys(byName)).toEqual([
        'id',
        'value',
        'isbinary',
        'insertDate',
        'updateDate',
        'eTag',
        'expiredate',
        'row_id',
      ]);
      expect(byName.id).toMatchObject({ type: 'varchar(255)', nullable: 'NO', k: 'PRI' });
      expect(byName.id.collation).toMatch(/^utf8mb4_(nopad_|0900_)?bin$/);
      expect(byName.value.type).toMatch(/^(json|longtext)$/); // MariaDB: JSON = LONGTEXT + JSON_VALID check
      expect(byName.isbinary.type).toBe('tinyint(1)');
      expect(byName.updateDate.extra.toLowerCase()).toContain('on update current_timestamp');
      expect(byName.eTag).toMatchObject({ type: 'varchar(36)', nullable: 'NO' });
      expect(byName.expiredate).toMatchObject({ type: 'timestamp', nullable: 'YES' });
      expect(byName.row_id).toMatchObject({ type: 'bigint(20) unsigned', extra: 'auto_increment' });

      const indexes = await rows(
        `SELECT INDEX_NAME AS name, NON_UNIQUE AS nonUnique, COLUMN_NAME AS col FROM information_schema.STATISTICS
         WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'fresh' ORDER BY INDEX_NAME`,
        [schemaName],
      );
      expect(indexes.map((i) => [i.name, Number(i.nonUnique), i.col])).toEqual([
        ['expiredate_idx', 1, 'expiredate'],
        ['PRIMARY', 0, 'id'],
        ['row_id_uidx', 0, 'row_id'],
      ]);
      const meta = await rows(
        `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'fresh_meta' ORDER BY ORDINAL_POSITION`,
        [schemaName],
      );
      expect(meta.map((c) => [c.name, c.type])).toEqual([
        ['id', 'varchar(255)'],
        ['value', 'text'],
      ]);
    });

    it('init is idempotent: a second instance and a re-init share the existing tables', async () => {
      const first = await open({ tableName: 'shared' });
      await first.set(setRequest('k', 'from first'));
      const second = await open({ tableName: 'shared' });
      expect(parsed((await second.get(getRequest('k'))).data)).toBe('from first');
      await second.init({ connectionString: DSN, schemaName, tableName: 'shared', cleanupInterval: '0' });
      expect(parsed((await second.get(getRequest('k'))).data)).toBe('from first');
    });

    it('upgrades a pre-1.11 table (no expiredate, no row_id) and keeps its rows; warns about its case-insensitive keys', async () => {
      await admin.query(`CREATE DATABASE IF NOT EXISTS \`${schemaName}\``);
      await admin.query(`CREATE TABLE \`${schemaName}\`.legacy (
        id VARCHAR(255) NOT NULL PRIMARY KEY, value JSON NOT NULL, isbinary BOOLEAN NOT NULL,
        insertDate TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
        updateDate TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
        eTag VARCHAR(36) NOT NULL) COLLATE utf8mb4_general_ci`);
      await admin.query(
        `INSERT INTO \`${schemaName}\`.legacy (id, value, isbinary, eTag) VALUES ('old||key', '{"v": 1}', 0, 'etag-1'), ('old||bin', '"AAH/"', 1, 'etag-2')`,
      );

      const logger = recordingLogger();
      const store = await open({ tableName: 'legacy' }, logger);
      const columns = await rows(
        `SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'legacy'`,
        [schemaName],
      );
      expect(columns.map((c) => c.name)).toEqual(expect.arrayContaining(['expiredate', 'row_id']));
      const indexes = await rows(
        `SELECT DISTINCT INDEX_NAME AS name FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'legacy'`,
        [schemaName],
      );
      expect(indexes.map((i) => i.name)).toEqual(expect.arrayContaining(['expiredate_idx', 'row_id_uidx']));

      const old = await store.get(getRequest('old||key'));
      expect(old).toMatchObject({ etag: 'etag-1' });
      expect(parsed(old.data)).toEqual({ v: 1 });
      expect((await store.get(getRequest('old||bin'))).data).toEqual(new Uint8Array([0x00, 0x01, 0xff]));
      await store.set(setRequest('new', 1, { metadata: { ttlInSeconds: '60' } }));
      expect((await store.get(getRequest('new'))).metadata?.ttlExpireTime).toBeDefined();
      // The existing collation is left alone, and the operator is told what it means.
      expect(logger.warnings.join('\n')).toContain('case-insensitively');
      expect(parsed((await store.get(getRequest('OLD||KEY'))).data)).toEqual({ v: 1 });

      await open({ tableName: 'legacy' }); // upgrading again is a no-op
    });
  });

  describe('garbage collection', () => {
    it('deletes expired rows in the background and records last-cleanup', async () => {
      const store = await open({ tableName: 'gc', metadataTableName: 'gc_meta', cleanupInterval: '1s' });
      await store.set(setRequest('expiring', 1, { metadata: { ttlInSeconds: '1' } }));
      await store.set(setRequest('staying', 1));
      await admin.query(`USE \`${schemaName}\``);
      expect(await eventually(async () => (await rawCount('gc')) === 1, 6000, 200)).toBe(true);
      expect((await rows('SELECT id FROM gc'))[0]?.id).toBe('staying');
      expect(await rows("SELECT id FROM gc_meta WHERE id = 'last-cleanup'")).toHaveLength(1);
    });

    it('skips a run while another process holds a recent last-cleanup marker', async () => {
      const store = await open({ tableName: 'gc_shared', metadataTableName: 'gc_shared_meta', cleanupInterval: '1s' });
      await admin.query(`USE \`${schemaName}\``);
      // Another sidecar "just ran" (a marker in the future keeps it recent for the whole test window).
      await admin.query(
        "INSERT INTO gc_shared_meta (id, value) VALUES ('last-cleanup', CURRENT_TIMESTAMP + INTERVAL 1 HOUR)",
      );
      await store.set(setRequest('expiring', 1, { metadata: { ttlInSeconds: '1' } }));
      await sleep(3000);
      expect(await rawCount('gc_shared')).toBe(1);
      await admin.query(
        "UPDATE gc_shared_meta SET value = CURRENT_TIMESTAMP - INTERVAL 1 HOUR WHERE id = 'last-cleanup'",
      );
      expect(await eventually(async () => (await rawCount('gc_shared')) === 0, 4000, 200)).toBe(true);
    });

    it('cleanupInterval <= 0 disables the collector; reads still hide expired rows', async () => {
      const store = await open({ tableName: 'no_gc', metadataTableName: 'no_gc_meta', cleanupInterval: '-1' });
      await store.set(setRequest('expiring', 1, { metadata: { ttlInSeconds: '1' } }));
      await sleep(2200);
      expect(await store.get(getRequest('expiring'))).toEqual({});
      await admin.query(`USE \`${schemaName}\``);
      expect(await rawCount('no_gc')).toBe(1);
      expect(await rawCount('no_gc_meta')).toBe(0);
    });
  });

  describe('connection failures', () => {
    const password = 'Hunter2-Sekret';

    it('init against a closed port fails fast, naming connectionString and not the password', async () => {
      const started = Date.now();
      const error = await new MySqlStateStore()
        .init({ connectionString: `dapr:${password}@tcp(127.0.0.1:1)/`, schemaName })
        .catch((err) => err);
      expect(Date.now() - started).toBeLessThan(5500);
      expect(error).toBeInstanceOf(UnavailableError);
      expect(error.message).toBe("metadata 'connectionString': cannot connect to 127.0.0.1:1 (ECONNREFUSED)");
      expect(error.message).not.toContain(password);
    });

    it('a wrong password is reported against connectionString without echoing it', async () => {
      const dsn = DSN.replace(/^([^:@]*)(:[^@]*)?@/, `$1:${password}@`);
      const error = await new MySqlStateStore().init({ connectionString: dsn, schemaName }).catch((err) => err);
      expect(error).toBeInstanceOf(InvalidMetadataError);
      expect(error.message).toMatch(/^metadata 'connectionString': access denied for user '[^']+' at /);
      expect(error.message).not.toContain(password);
      expect(JSON.stringify(error)).not.toContain(password);
    });

    it('init against a missing unix socket names connectionString', async () => {
      const error = await new MySqlStateStore()
        .init({ connectionString: 'u:p@unix(/nonexistent/mysql.sock)/' })
        .catch((err) => err);
      expect(error).toBeInstanceOf(UnavailableError);
      expect(error.message).toBe(
        "metadata 'connectionString': cannot connect to unix(/nonexistent/mysql.sock) (ENOENT)",
      );
    });
  });

  it('close is idempotent and makes later calls fail', async () => {
    const store = await open({ tableName: 'closing' });
    await store.ping();
    await store.close();
    await store.close();
    await expect(store.get(getRequest('k'))).rejects.toThrow('component is closed');
    await expect(store.ping()).rejects.toThrow('component is closed');
  });
});
