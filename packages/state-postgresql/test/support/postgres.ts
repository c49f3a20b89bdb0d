/**
 * Shared test plumbing against the real server: reachability gate (visible skip locally, failure in CI), unique
 * table names per run, and a raw admin pool for looking behind the store's back.
 */
import { randomUUID } from 'node:crypto';
import type { DeleteRequest, Metadata, SetRequest } from '@daprkit/component-sdk';
import pg from 'pg';
import { afterAll, describe } from 'vitest';
import { PostgresStateStore } from '../../src/index.js';
import { PG_URL, probePostgres } from './probe.js';

export { PG_URL } from './probe.js';

const unreachable = await probePostgres().then(
  () => undefined,
  (err: Error) => err.message || (err as NodeJS.ErrnoException).code || String(err),
);
if (unreachable !== undefined && process.env.CI === 'true') {
  throw new Error(`PostgreSQL is required in CI but unreachable at ${new URL(PG_URL).host}: ${unreachable}`);
}
if (unreachable !== undefined) console.warn(`[state-postgresql] skipping database tests: ${unreachable}`);

/** `describe` that runs only with a reachable server, naming the reason in the skipped suite's title otherwise. */
export function describePostgres(name: string, body: () => void): void {
  const title = unreachable === undefined ? name : `${name} [skipped: PostgreSQL unreachable: ${unreachable}]`;
  describe.skipIf(unreachable !== undefined)(title, body);
}

export const uniqueName = (prefix: string) => `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const json = (value: unknown) => encoder.encode(JSON.stringify(value));
export const text = (data: Uint8Array | undefined) => (data === undefined ? undefined : decoder.decode(data));
export const parsed = (data: Uint8Array | undefined) =>
  data === undefined ? undefined : JSON.parse(decoder.decode(data));
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const setRequest = (key: string, value: unknown, extra: Partial<SetRequest> = {}): SetRequest => ({
  key,
  value: value instanceof Uint8Array ? value : json(value),
  metadata: {},
  options: {},
  ...extra,
});
export const deleteRequest = (key: string, extra: Partial<DeleteRequest> = {}): DeleteRequest => ({
  key,
  metadata: {},
  options: {},
  ...extra,
});

/**
 * Opens stores on fresh tables (state + metadata) and drops everything it created after the file's tests.
 * Call once per test file, at the top level of a `describePostgres` body.
 */
export function useDatabase() {
  const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
  const stores: PostgresStateStore[] = [];
  const tables = new Set<string>();

  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    for (const table of tables) await admin.query(`DROP TABLE IF EXISTS ${table}`);
    await admin.end();
  });

  return {
    admin,
    /** Registers a table (created by the test itself) for dropping after the file. */
    track(table: string): string {
      tables.add(table);
      return table;
    },
    /** A store on its own tables unless `tableName`/`metadataTableName` are given. */
    async open(
      properties: Metadata = {},
    ): Promise<{ store: PostgresStateStore; tableName: string; metadataTableName: string }> {
      const tableName = properties.tableName ?? uniqueName('state');
      const metadataTableName = properties.metadataTableName ?? uniqueName('meta');
      tables.add(tableName).add(metadataTableName);
      const store = new PostgresStateStore();
      stores.push(store);
      await store.init({ connectionString: PG_URL, cleanupInterval: '0', ...properties, tableName, metadataTableName });
      return { store, tableName, metadataTableName };
    },
  };
}
