/**
 * contrib's SQL, verbatim in meaning, as prepared better-sqlite3 statements. Timestamps are SQLite's own
 * `CURRENT_TIMESTAMP` text (`YYYY-MM-DD HH:MM:SS`, UTC), so rows written here and by a Go sidecar compare alike.
 * The expiry is `DATETIME(CURRENT_TIMESTAMP, ?)` with `'+<n> seconds'` bound, or NULL bound (the function then
 * yields NULL), which is contrib's literal expression without a statement per TTL.
 */
import type Database from 'better-sqlite3';

type Statement = Database.Statement;

export interface StateRow {
  key: string;
  value: string | Uint8Array;
  is_binary: unknown;
  etag: string;
  expiration_time: string | null;
}

const LIVE = '(expiration_time IS NULL OR expiration_time > CURRENT_TIMESTAMP)';
const COLUMNS = 'key, value, is_binary, etag, expiration_time';

export class Statements {
  readonly get: Statement;
  readonly upsert: Statement;
  readonly firstWrite: Statement;
  readonly updateIfETag: Statement;
  readonly delete: Statement;
  readonly deleteIfETag: Statement;
  readonly claimCleanup: Statement;
  readonly deleteExpired: Statement;
  readonly ping: Statement;
  readonly #bulkGet = new Map<number, Statement>();

  constructor(
    private readonly db: Database.Database,
    private readonly table: string,
    metadataTable: string,
  ) {
    this.get = db.prepare(`SELECT ${COLUMNS} FROM ${table} WHERE key = ? AND ${LIVE}`);
    this.upsert = db.prepare(
      `INSERT OR REPLACE INTO ${table} (key, value, is_binary, etag, update_time, expiration_time)
       VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP, DATETIME(CURRENT_TIMESTAMP, ?))`,
    );
    // Column order of the table matters: contrib inserts `SELECT *` of this row.
    this.firstWrite = db.prepare(
      `WITH a AS (
         SELECT ?, ?, ?, ?, DATETIME(CURRENT_TIMESTAMP, ?), CURRENT_TIMESTAMP
         WHERE NOT EXISTS (SELECT 1 FROM ${table} WHERE key = ? AND ${LIVE})
       )
       INSERT OR REPLACE INTO ${table} SELECT * FROM a RETURNING 1 AS written`,
    );
    this.updateIfETag = db.prepare(
      `UPDATE ${table} SET value = ?, etag = ?, is_binary = ?, update_time = CURRENT_TIMESTAMP,
         expiration_time = DATETIME(CURRENT_TIMESTAMP, ?)
       WHERE key = ? AND etag = ? AND ${LIVE}`,
    );
    this.delete = db.prepare(`DELETE FROM ${table} WHERE key = ?`);
    this.deleteIfETag = db.prepare(`DELETE FROM ${table} WHERE key = ? AND etag = ?`);
    this.claimCleanup = db.prepare(
      `INSERT INTO ${metadataTable} (key, value) VALUES ('last-cleanup', CURRENT_TIMESTAMP)
       ON CONFLICT (key) DO UPDATE SET value = CURRENT_TIMESTAMP
         WHERE (unixepoch(CURRENT_TIMESTAMP) - unixepoch(value)) * 1000 > ?`,
    );
    this.deleteExpired = db.prepare(
      `DELETE FROM ${table} WHERE expiration_time IS NOT NULL AND expiration_time < CURRENT_TIMESTAMP`,
    );
    this.ping = db.prepare('SELECT 1');
  }

  /** One `IN (...)` query per distinct key count (cached for small counts). */
  bulkGet(count: number): Statement {
    let statement = this.#bulkGet.get(count);
    if (statement === undefined) {
      statement = this.db.prepare(
        `SELECT ${COLUMNS} FROM ${this.table} WHERE key IN (${Array(count).fill('?').join(',')}) AND ${LIVE}`,
      );
      if (count <= 64) this.#bulkGet.set(count, statement);
    }
    return statement;
  }
}

/** The bound expiry modifier: `'+<n> seconds'` for n > 0, else NULL (no expiry; also clears an old one). */
export const expiryModifier = (ttlSeconds: number | undefined): string | null =>
  ttlSeconds !== undefined && ttlSeconds > 0 ? `+${ttlSeconds} seconds` : null;
