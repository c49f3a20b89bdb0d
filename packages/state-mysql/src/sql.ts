/**
 * Every statement the store runs, built once per instance from validated identifiers. Values always travel as
 * `?` parameters of prepared statements; only bulk get's IN list varies per call.
 */

/** A row is live until its expiry; reads and conditional writes see live rows only. */
const LIVE = '(expiredate IS NULL OR expiredate > CURRENT_TIMESTAMP)';
const EXPIRED = '(expiredate IS NOT NULL AND expiredate <= CURRENT_TIMESTAMP)';
/** `?` = TTL in seconds, or NULL for no expiry (NULL + INTERVAL is NULL). */
const EXPIRY = 'CURRENT_TIMESTAMP + INTERVAL ? SECOND';
const COLUMNS = 'id, value, isbinary, eTag, UNIX_TIMESTAMP(expiredate) AS expiresAt';

/**
 * Upserts keep the row (and so `row_id` and `insertDate`) instead of contrib's `REPLACE INTO` (delete + insert).
 * Overwriting an expired row counts as a new record, so it gets a fresh `insertDate`. `expiredate` is assigned
 * last because later assignments in ON DUPLICATE KEY UPDATE see the earlier ones.
 */
const ON_DUPLICATE_REPLACE = `ON DUPLICATE KEY UPDATE
  insertDate = IF(${EXPIRED}, CURRENT_TIMESTAMP, insertDate),
  value = VALUES(value), isbinary = VALUES(isbinary), eTag = VALUES(eTag), expiredate = VALUES(expiredate)`;

/** First-write: only an expired row may be overwritten; a live one is left untouched (0 affected rows). */
const ON_DUPLICATE_IF_EXPIRED = `ON DUPLICATE KEY UPDATE
  insertDate = IF(${EXPIRED}, CURRENT_TIMESTAMP, insertDate),
  value = IF(${EXPIRED}, VALUES(value), value),
  isbinary = IF(${EXPIRED}, VALUES(isbinary), isbinary),
  eTag = IF(${EXPIRED}, VALUES(eTag), eTag),
  expiredate = IF(${EXPIRED}, VALUES(expiredate), expiredate)`;

export function stateStatements(table: string, metadataTable: string) {
  const insert = `INSERT INTO \`${table}\` (id, value, isbinary, eTag, expiredate) VALUES (?, ?, ?, ?, ${EXPIRY})`;
  return {
    /** [key] */
    get: `SELECT ${COLUMNS} FROM \`${table}\` WHERE id = ? AND ${LIVE}`,
    /** [key, value, isbinary, etag, ttl] */
    upsert: `${insert} ${ON_DUPLICATE_REPLACE}`,
    /** [key, value, isbinary, etag, ttl]; affected rows 0 = a live row exists (needs CLIENT_FOUND_ROWS off). */
    insertIfAbsent: `${insert} ${ON_DUPLICATE_IF_EXPIRED}`,
    /** [value, isbinary, newEtag, ttl, key, etag] */
    updateIfETag: `UPDATE \`${table}\` SET value = ?, isbinary = ?, eTag = ?, expiredate = ${EXPIRY} WHERE id = ? AND eTag = ? AND ${LIVE}`,
    /** [key] */
    delete: `DELETE FROM \`${table}\` WHERE id = ?`,
    /** [key, etag] */
    deleteIfETag: `DELETE FROM \`${table}\` WHERE id = ? AND eTag = ? AND ${LIVE}`,
    bulkGet: (count: number) =>
      `SELECT ${COLUMNS} FROM \`${table}\` WHERE id IN (${Array(count).fill('?').join(', ')}) AND ${LIVE}`,
    deleteExpired: `DELETE FROM \`${table}\` WHERE ${EXPIRED}`,
    /**
     * [cleanup interval − 100 ms, in ms]. Contrib's marker upsert: it changes the row (affected > 0) only for the
     * first process whose previous run is old enough, so one sidecar per interval collects.
     */
    claimCleanup: `INSERT INTO \`${metadataTable}\` (id, value) VALUES ('last-cleanup', CURRENT_TIMESTAMP)
      ON DUPLICATE KEY UPDATE value = IF(CURRENT_TIMESTAMP > DATE_ADD(value, INTERVAL ?*1000 MICROSECOND), CURRENT_TIMESTAMP, value)`,
  };
}

export type StateStatements = ReturnType<typeof stateStatements>;

/** A row as selected by COLUMNS. */
export interface StateRow {
  id: string;
  value: string;
  isbinary: number;
  eTag: string;
  /** Unix seconds, or null when the row never expires. */
  expiresAt: number | string | null;
}
