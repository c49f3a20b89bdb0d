/**
 * Name resolvers (spec sidecar-wave2 §3): `static` (a fixed map) and `sqlite` (daprd's resolver: same table
 * layout, metadata table and queries as components-contrib nameresolution/sqlite). Here the schema, rows written
 * the way contrib writes them, staleness and the GC; nameresolution-daprd.test.ts shares the file with a real daprd
 * (the `extra` build of scripts/daprd.sh: the stablecomponents build does not include nameresolution.sqlite).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@daprkit/component-sdk';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createNameResolver, nameResolutionConfig } from '../src/nameresolution/index.js';
import type { ResolverInstance } from '../src/nameresolution/types.js';

const instance = (appId: string, port: number, address = '127.0.0.1'): ResolverInstance => ({
  appId,
  namespace: 'default',
  address,
  daprInternalPort: port,
  daprHttpPort: 0,
  appPort: 0,
});

describe('nameResolution configuration', () => {
  it('reads spec.nameResolution with field-named errors', () => {
    expect(nameResolutionConfig({})).toEqual({ component: '', version: '', configuration: {} });
    expect(nameResolutionConfig({ nameResolution: { component: 'static', configuration: { apps: {} } } })).toEqual({
      component: 'static',
      version: '',
      configuration: { apps: {} },
    });
    expect(() => nameResolutionConfig({ nameResolution: { component: 3 } })).toThrow(/spec\.nameResolution\.component/);
    expect(() => createNameResolver({ component: 'nope', version: '', configuration: {} }, silentLogger)).toThrow(
      /unknown name resolver 'nope'/,
    );
  });
});

describe('static resolver', () => {
  it('resolves listed ids and names the unknown ones', async () => {
    const resolver = createNameResolver(
      { component: 'static', version: 'v1', configuration: { apps: { a: '10.0.0.1:50002', b: '[::1]:7' } } },
      silentLogger,
    );
    await resolver.init(instance('self', 1));
    expect(await resolver.resolve({ id: 'a', namespace: 'default', port: 0 })).toBe('10.0.0.1:50002');
    expect(await resolver.resolve({ id: 'b', namespace: 'other', port: 0 })).toBe('[::1]:7');
    await expect(resolver.resolve({ id: 'c', namespace: 'default', port: 0 })).rejects.toThrow(/app id c/);
    await resolver.close();
  });

  it('rejects a bad address, naming the app', () => {
    expect(() =>
      createNameResolver({ component: 'static', version: '', configuration: { apps: { a: 'nohost' } } }, silentLogger),
    ).toThrow(/apps\.a .*host:port/);
    expect(() => createNameResolver({ component: 'static', version: '', configuration: {} }, silentLogger)).toThrow(
      /configuration\.apps/,
    );
  });
});

describe('sqlite resolver', () => {
  async function file(): Promise<string> {
    return join(await mkdtemp(join(tmpdir(), 'daprkit-nr-sqlite-')), 'nr.db');
  }
  const sqlite = (connectionString: string, extra: Record<string, unknown> = {}) =>
    createNameResolver(
      { component: 'sqlite', version: '', configuration: { connectionString, ...extra } },
      silentLogger,
    );

  it("creates contrib's schema and migration row, registers host:internalPort with namespace '', deletes it on close", async () => {
    const path = await file();
    const resolver = sqlite(path);
    await resolver.init(instance('orders', 50002));
    const db = new Database(path, { readonly: true });
    const columns = db.prepare('PRAGMA table_info(hosts)').all() as {
      name: string;
      type: string;
      notnull: number;
      pk: number;
    }[];
    expect(columns.map((c) => [c.name, c.type, c.notnull, c.pk])).toEqual([
      ['registration_id', 'TEXT', 1, 1],
      ['address', 'TEXT', 1, 0],
      ['app_id', 'TEXT', 1, 0],
      ['namespace', 'TEXT', 1, 0],
      ['last_update', 'INTEGER', 1, 0],
    ]);
    const indexes = db
      .prepare(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'hosts' AND sql IS NOT NULL ORDER BY name",
      )
      .all();
    expect(indexes).toEqual([
      { name: 'hosts_address_idx', sql: 'CREATE UNIQUE INDEX hosts_address_idx ON hosts (address)' },
      { name: 'hosts_last_update_idx', sql: 'CREATE INDEX hosts_last_update_idx ON hosts (last_update)' },
    ]);
    expect(db.prepare("SELECT value FROM metadata WHERE key = 'nr-migrations'").get()).toEqual({ value: '1' });
    const rows = db.prepare('SELECT address, app_id, namespace, last_update FROM hosts').all() as Record<
      string,
      unknown
    >[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ address: '127.0.0.1:50002', app_id: 'orders', namespace: '' });
    expect(Math.abs(Number(rows[0]!.last_update) - Date.now() / 1000)).toBeLessThan(5);
    expect(await resolver.resolve({ id: 'orders', namespace: 'default', port: 0 })).toBe('127.0.0.1:50002');
    await resolver.close();
    expect(db.prepare('SELECT COUNT(*) AS n FROM hosts').get()).toEqual({ n: 0 });
    db.close();
  });

  it('finds rows another sidecar wrote the way contrib does, skips stale ones, and brackets IPv6', async () => {
    const path = await file();
    const resolver = sqlite(path);
    await resolver.init(instance('me', 40001, '::1'));
    const db = new Database(path);
    const insert = db.prepare(
      "INSERT INTO hosts (registration_id, address, app_id, namespace, last_update) VALUES (?, ?, ?, '', unixepoch(CURRENT_TIMESTAMP) - ?)",
    );
    insert.run('r-fresh', '10.0.0.2:50002', 'checkout', 0);
    insert.run('r-stale', '10.0.0.3:50002', 'billing', 60);
    expect(await resolver.resolve({ id: 'checkout', namespace: 'default', port: 0 })).toBe('10.0.0.2:50002');
    await expect(resolver.resolve({ id: 'billing', namespace: 'default', port: 0 })).rejects.toThrow(
      'no host found with the given ID',
    );
    expect(await resolver.resolve({ id: 'me', namespace: 'default', port: 0 })).toBe('[::1]:40001');
    await resolver.close();
    db.close();
  });

  it('the GC deletes STALE rows and keeps fresh ones (contrib deletes fresh ones: a bug we do not copy)', async () => {
    const path = await file();
    const resolver = sqlite(path, { cleanupInterval: '1s', updateInterval: '2s', timeout: '500ms' });
    await resolver.init(instance('gc', 0));
    const db = new Database(path);
    const insert = db.prepare(
      "INSERT INTO hosts (registration_id, address, app_id, namespace, last_update) VALUES (?, ?, ?, '', unixepoch(CURRENT_TIMESTAMP) - ?)",
    );
    insert.run('fresh', '10.0.0.4:1', 'keep', -3600); // in the future: fresh for the whole test
    insert.run('stale', '10.0.0.5:1', 'drop', 3600);
    const deadline = Date.now() + 10_000;
    let ids: string[] = [];
    while (Date.now() < deadline) {
      ids = (db.prepare('SELECT registration_id AS id FROM hosts ORDER BY id').all() as { id: string }[]).map(
        (r) => r.id,
      );
      if (!ids.includes('stale')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(ids).toEqual(['fresh']);
    expect(db.prepare("SELECT COUNT(*) AS n FROM metadata WHERE key = 'nr-last-cleanup'").get()).toEqual({ n: 1 });
    await resolver.close();
    db.close();
  });

  it('validates its metadata like contrib, naming the field', () => {
    expect(() => createNameResolver({ component: 'sqlite', version: '', configuration: {} }, silentLogger)).toThrow(
      /connectionString/,
    );
    expect(() => sqlite('x.db', { updateInterval: '1500ms' })).toThrow(/updateInterval .*whole seconds/);
    expect(() => sqlite('x.db', { updateInterval: '1s' })).toThrow(/updateInterval .*1s more than timeout/);
    expect(() => sqlite('x.db', { tableName: 'bad name' })).toThrow(/tableName/);
  });
});
