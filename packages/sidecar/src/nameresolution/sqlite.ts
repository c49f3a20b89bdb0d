/**
 * daprd's `sqlite` resolver (components-contrib nameresolution/sqlite, spec sidecar-wave2 §3.3) on better-sqlite3:
 * the same hosts table, metadata table and queries, so daprkit sidecars and daprd (built with that resolver) can
 * share one database file. Every sidecar registers `host:internalPort` under its app id and refreshes `last_update`;
 * a lookup picks one random fresh row.
 *
 * Differences from contrib, on purpose: the GC deletes STALE rows (contrib's query deletes fresh ones, a bug), and a
 * lost registration is re-registered with an error log instead of exiting the process.
 */
import { randomUUID } from 'node:crypto';
import { type Logger, parseGoDurationMs } from '@daprkit/component-sdk';
import type BetterSqlite3 from 'better-sqlite3';
import type { NameResolutionConfig, NameResolver, ResolverInstance } from './types.js';

export interface SqliteResolverMetadata {
  connectionString: string;
  timeoutMs: number;
  busyTimeoutMs: number;
  disableWAL: boolean;
  tableName: string;
  metadataTableName: string;
  updateIntervalMs: number;
  /** 0 disables the GC. */
  cleanupIntervalMs: number;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function field(config: Record<string, unknown>, ...names: string[]): unknown {
  for (const name of names) {
    const value = config[name];
    if (value !== undefined && value !== null && value !== '') return value;
  }
  return undefined;
}

/** A Go duration, or a bare number of seconds (contrib's `timeoutInSeconds` style). */
function durationMs(value: unknown, name: string, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  if (typeof value === 'number' && Number.isFinite(value)) return value * 1000;
  const text = String(value).trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const ms = parseGoDurationMs(text);
  if (ms === undefined) throw new Error(`nameResolution.configuration.${name} (sqlite) is not a duration: ${text}`);
  return ms;
}

export function parseSqliteResolverMetadata(config: Record<string, unknown>): SqliteResolverMetadata {
  const connectionString = field(config, 'connectionString', 'url');
  if (typeof connectionString !== 'string')
    throw new Error('nameResolution.configuration.connectionString (sqlite) is required');
  const timeoutMs = durationMs(field(config, 'timeout', 'timeoutInSeconds'), 'timeout', 1000);
  const busyTimeoutMs = durationMs(field(config, 'busyTimeout'), 'busyTimeout', 800);
  const updateIntervalMs = durationMs(field(config, 'updateInterval'), 'updateInterval', 5000);
  const cleanupIntervalMs = durationMs(
    field(config, 'cleanupInterval', 'cleanupIntervalInSeconds'),
    'cleanupInterval',
    3_600_000,
  );
  const tableName = String(field(config, 'tableName') ?? 'hosts');
  const metadataTableName = String(field(config, 'metadataTableName') ?? 'metadata');
  for (const [name, value] of [
    ['tableName', tableName],
    ['metadataTableName', metadataTableName],
  ] as const) {
    if (!IDENTIFIER.test(value))
      throw new Error(`nameResolution.configuration.${name} (sqlite) must be a valid identifier, got ${value}`);
  }
  if (timeoutMs < 1) throw new Error('nameResolution.configuration.timeout (sqlite) must be at least 1ms');
  if (updateIntervalMs % 1000 !== 0)
    throw new Error('nameResolution.configuration.updateInterval (sqlite) must be whole seconds');
  if (updateIntervalMs < timeoutMs + 1000)
    throw new Error('nameResolution.configuration.updateInterval (sqlite) must be at least 1s more than timeout');
  const disableWAL = String(field(config, 'disableWAL') ?? 'false').toLowerCase();
  return {
    connectionString,
    timeoutMs,
    busyTimeoutMs,
    disableWAL: ['true', '1', 'yes', 'on', 'y'].includes(disableWAL),
    tableName,
    metadataTableName,
    updateIntervalMs,
    cleanupIntervalMs: Math.max(0, cleanupIntervalMs),
  };
}

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

/** The driver and contrib's connection-string rules come from @daprkit/state-sqlite, an optional peer. */
async function loadStateSqlite(): Promise<typeof import('@daprkit/state-sqlite')> {
  try {
    return await import('@daprkit/state-sqlite');
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND')
      throw new Error(
        'nameResolution sqlite needs the package @daprkit/state-sqlite: run `npm install @daprkit/state-sqlite`',
      );
    throw error;
  }
}

/** contrib's migrations under key `nr-migrations`, in one exclusive transaction (shared files migrate once). */
function migrate(db: Database, md: SqliteResolverMetadata): void {
  const t = md.tableName;
  db.exec('BEGIN EXCLUSIVE TRANSACTION');
  try {
    db.exec(`CREATE TABLE IF NOT EXISTS ${md.metadataTableName} (key text NOT NULL PRIMARY KEY, value text NOT NULL)`);
    const row = db.prepare(`SELECT value FROM ${md.metadataTableName} WHERE key = 'nr-migrations'`).get() as
      | { value: string }
      | undefined;
    const level = row === undefined ? 0 : Number(row.value);
    if (!Number.isInteger(level) || level < 0) throw new Error(`invalid nr-migrations level ${row?.value}`);
    if (level < 1) {
      db.exec(`CREATE TABLE ${t} (
        registration_id TEXT NOT NULL PRIMARY KEY,
        address TEXT NOT NULL,
        app_id TEXT NOT NULL,
        namespace TEXT NOT NULL,
        last_update INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX ${t}_address_idx ON ${t} (address);
      CREATE INDEX ${t}_last_update_idx ON ${t} (last_update);`);
      db.prepare(`REPLACE INTO ${md.metadataTableName} (key, value) VALUES ('nr-migrations', '1')`).run();
    }
    db.exec('COMMIT TRANSACTION');
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK TRANSACTION');
    throw err;
  }
}

/** `host:port`, IPv6 hosts bracketed (Go's net.JoinHostPort). */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function createSqliteResolver(config: NameResolutionConfig, logger: Logger): NameResolver {
  const md = parseSqliteResolverMetadata(config.configuration);
  const updateSeconds = md.updateIntervalMs / 1000;
  let db: Database | undefined;
  let registration: { id: string; address: string } | undefined;
  const timers: NodeJS.Timeout[] = [];
  let statements:
    | {
        register: Statement;
        renew: Statement;
        resolve: Statement;
        deregister: Statement;
        markCleanup: Statement;
        deleteStale: Statement;
      }
    | undefined;

  function register(instance: ResolverInstance): void {
    const address = joinHostPort(instance.address, instance.daprInternalPort);
    registration = { id: randomUUID(), address };
    // The address is unique: REPLACE takes over a stale registration of the same address. namespace is always ''.
    statements!.register.run(registration.id, address, instance.appId);
  }

  function collectGarbage(): void {
    // As contrib's GC: only the process that moves nr-last-cleanup deletes, at most once per cleanup interval.
    const moved = statements!.markCleanup.run(Math.max(0, Math.floor(md.cleanupIntervalMs / 1000) - 1)).changes;
    if (moved > 0) {
      const removed = statements!.deleteStale.run().changes;
      if (removed > 0) logger.debug('sqlite name resolution: removed stale hosts', { removed });
    }
  }

  return {
    async init(instance) {
      const { BetterSqlite3: open, isInMemory, parseConnectionString } = await loadStateSqlite();
      const target = parseConnectionString(md.connectionString, md.disableWAL);
      if (isInMemory(md.connectionString))
        logger.warn(
          'Configuring name resolution with an in-memory SQLite database. Service invocation across different apps will not work.',
        );
      db = new open(target.filename, { readonly: target.readonly, fileMustExist: target.fileMustExist });
      db.pragma(`busy_timeout = ${Math.round(md.busyTimeoutMs)}`);
      db.pragma(`journal_mode = ${target.journalMode}`);
      for (const pragma of target.pragmas) db.exec(`PRAGMA ${pragma}`);
      migrate(db, md);
      const t = md.tableName;
      statements = {
        register: db.prepare(
          `REPLACE INTO ${t} (registration_id, address, app_id, namespace, last_update) VALUES (?, ?, ?, '', unixepoch(CURRENT_TIMESTAMP))`,
        ),
        renew: db.prepare(
          `UPDATE ${t} SET last_update = unixepoch(CURRENT_TIMESTAMP) WHERE registration_id = ? AND address = ?`,
        ),
        resolve: db.prepare(
          `SELECT address FROM ${t} WHERE ROWID = (SELECT ROWID FROM ${t} WHERE app_id = ? AND unixepoch(CURRENT_TIMESTAMP) - last_update < ${updateSeconds} ORDER BY RANDOM() LIMIT 1)`,
        ),
        deregister: db.prepare(`DELETE FROM ${t} WHERE registration_id = ? AND address = ?`),
        markCleanup: db.prepare(
          `INSERT INTO ${md.metadataTableName} (key, value) VALUES ('nr-last-cleanup', CURRENT_TIMESTAMP) ON CONFLICT (key) DO UPDATE SET value = CURRENT_TIMESTAMP WHERE unixepoch(CURRENT_TIMESTAMP) - unixepoch(value) > ?`,
        ),
        deleteStale: db.prepare(
          `DELETE FROM ${t} WHERE unixepoch(CURRENT_TIMESTAMP) - last_update >= ${updateSeconds}`,
        ),
      };
      // Without an internal gRPC port there is nothing others could dial: resolve only.
      if (instance.daprInternalPort > 0) {
        register(instance);
        const renew = setInterval(
          () => {
            try {
              const { id, address } = registration!;
              if (statements!.renew.run(id, address).changes === 0) {
                logger.error('sqlite name resolution: host registration lost; registering again', { address });
                register(instance);
              }
            } catch (error) {
              logger.error('sqlite name resolution: failed to update host registration', {
                error: (error as Error).message,
              });
            }
          },
          Math.max(1, md.updateIntervalMs - md.timeoutMs),
        );
        renew.unref();
        timers.push(renew);
      }
      if (md.cleanupIntervalMs > 0) {
        const gc = setInterval(() => {
          try {
            collectGarbage();
          } catch (error) {
            logger.warn('sqlite name resolution: garbage collection failed', { error: (error as Error).message });
          }
        }, md.cleanupIntervalMs);
        gc.unref();
        timers.push(gc);
      }
    },
    async resolve({ id }) {
      if (statements === undefined) throw new Error('sqlite name resolution is not initialised');
      const row = statements.resolve.get(id) as { address: string } | undefined;
      if (row === undefined) throw new Error('no host found with the given ID');
      return row.address;
    },
    async close() {
      for (const timer of timers.splice(0)) clearInterval(timer);
      if (db === undefined) return;
      if (registration !== undefined) statements!.deregister.run(registration.id, registration.address);
      registration = undefined;
      statements = undefined;
      db.close();
      db = undefined;
    },
  };
}
