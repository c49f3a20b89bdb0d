/**
 * The fixed SQL of the hot path, built once per store (table names are validated identifiers, never user values).
 * With named statements each text is parsed and planned once per pooled connection.
 */
import type { QueryConfig } from 'pg';

/** A live row: no expiry, or not yet expired (the collector only reclaims space). */
export const LIVE = '(expiredate IS NULL OR expiredate >= now())';

/** `$n` seconds from now when positive, else no expiry (omitted, 0 and -1 all clear a previous TTL). */
const expiry = (ttl: string) => `CASE WHEN ${ttl}::integer > 0 THEN now() + ${ttl}::integer * interval '1 second' END`;

export type Statement = (...values: unknown[]) => QueryConfig;

export interface Statements {
  get: Statement;
  bulkGet: Statement;
  upsert: Statement;
  insertOrReplaceExpired: Statement;
  updateIfETag: Statement;
  delete: Statement;
  deleteIfETag: Statement;
  ping: Statement;
  claimCleanup: Statement;
  deleteExpired: Statement;
}

export function buildStatements(table: string, metadataTable: string, named: boolean): Statements {
  const select = `SELECT key, value::text AS value, isbinary, xmin::text AS etag, expiredate FROM ${table}`;
  const upsert = `INSERT INTO ${table} AS existing (key, value, isbinary, expiredate)
    VALUES ($1, $2::jsonb, $3, ${expiry('$4')})
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, isbinary = excluded.isbinary,
      updatedate = now(), expiredate = excluded.expiredate`;
  const texts: Record<keyof Statements, string> = {
    get: `${select} WHERE key = $1 AND ${LIVE}`,
    bulkGet: `${select} WHERE key = ANY($1::text[]) AND ${LIVE}`,
    upsert,
    // first-write: only an expired row that the collector has not reclaimed yet may be replaced.
    insertOrReplaceExpired: `${upsert} WHERE existing.expiredate IS NOT NULL AND existing.expiredate < now()`,
    updateIfETag: `UPDATE ${table} SET value = $2::jsonb, isbinary = $3, updatedate = now(), expiredate = ${expiry('$4')}
      WHERE key = $1 AND xmin = $5::xid AND ${LIVE}`,
    delete: `DELETE FROM ${table} WHERE key = $1`,
    deleteIfETag: `DELETE FROM ${table} WHERE key = $1 AND xmin = $2::xid`,
    ping: 'SELECT 1',
    // §0.5: only the sidecar whose upsert touched the marker row runs this tick's delete.
    claimCleanup: `INSERT INTO ${metadataTable} AS marker (key, value) VALUES ('last-cleanup', now()::text)
      ON CONFLICT (key) DO UPDATE SET value = now()::text
      WHERE (EXTRACT('epoch' FROM now() - marker.value::timestamp with time zone) * 1000)::bigint > $1`,
    deleteExpired: `DELETE FROM ${table} WHERE expiredate IS NOT NULL AND expiredate < now()`,
  };
  const statements = {} as Statements;
  for (const [id, text] of Object.entries(texts) as [keyof Statements, string][]) {
    const name = named ? `daprkit_state_${id}` : undefined;
    statements[id] = (...values) => ({ name, text, values });
  }
  return statements;
}
