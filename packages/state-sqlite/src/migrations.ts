/**
 * contrib's migrations (`state/sqlite/sqlite_migrations.go` over `common/component/sql/migrations/sqlite`): the
 * level lives under key `migrations` in the metadata table, everything runs inside `BEGIN EXCLUSIVE TRANSACTION`,
 * so a Go sidecar and this store opening the same file at once migrate it exactly once.
 */
import type { Logger } from '@daprkit/component-sdk';
import type Database from 'better-sqlite3';

type Migration = (db: Database.Database, tableName: string) => void;

/** Level n is reached by applying MIGRATIONS[n-1]. */
const MIGRATIONS: Migration[] = [
  (db, tableName) => {
    db.exec(`CREATE TABLE IF NOT EXISTS ${tableName} (
      key TEXT NOT NULL PRIMARY KEY,
      value TEXT NOT NULL,
      is_binary BOOLEAN NOT NULL,
      etag TEXT NOT NULL,
      expiration_time TIMESTAMP DEFAULT NULL,
      update_time TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
    )`);
  },
];

export const LATEST_MIGRATION_LEVEL = MIGRATIONS.length;

export interface MigrationTarget {
  tableName: string;
  metadataTableName: string;
  logger: Logger;
}

/** One synchronous unit: throws SQLITE_BUSY* untouched (the caller retries the whole unit). */
export function migrate(db: Database.Database, { tableName, metadataTableName, logger }: MigrationTarget): void {
  db.exec('BEGIN EXCLUSIVE TRANSACTION');
  try {
    db.exec(`CREATE TABLE IF NOT EXISTS ${metadataTableName} (
      key text NOT NULL PRIMARY KEY,
      value text NOT NULL
    )`);
    const row = db.prepare(`SELECT value FROM ${metadataTableName} WHERE key = 'migrations'`).get() as
      | { value: string }
      | undefined;
    const level = row === undefined ? 0 : Number(row.value);
    if (!Number.isInteger(level) || level < 0 || !/^\d+$/.test(String(row?.value ?? '0'))) {
      throw new Error(`invalid migration level found in metadata table: ${row?.value}`);
    }
    const setLevel = db.prepare(`REPLACE INTO ${metadataTableName} (key, value) VALUES ('migrations', ?)`);
    for (let i = level; i < MIGRATIONS.length; i++) {
      logger.info(`state.sqlite: performing migration ${i + 1} on '${tableName}'`);
      MIGRATIONS[i]!(db, tableName);
      setLevel.run(String(i + 1));
    }
    db.exec('COMMIT TRANSACTION');
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK TRANSACTION');
    throw err;
  }
}
