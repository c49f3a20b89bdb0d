/** Temporary database files and request builders for the state-sqlite tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeleteRequest, GetRequest, Metadata, SetRequest } from '@daprkit/component-sdk';
import Database from 'better-sqlite3';
import { afterAll } from 'vitest';
import { SqliteStateStore } from '../src/index.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const bytes = (text: string) => encoder.encode(text);
export const json = (value: unknown) => encoder.encode(JSON.stringify(value));
export const text = (data: Uint8Array | undefined) => (data === undefined ? undefined : decoder.decode(data));

export const setRequest = (key: string, value: unknown, extra: Partial<SetRequest> = {}): SetRequest => ({
  key,
  value: value instanceof Uint8Array ? value : json(value),
  metadata: {},
  options: {},
  ...extra,
});
export const getRequest = (key: string): GetRequest => ({ key, metadata: {} });
export const deleteRequest = (key: string, extra: Partial<DeleteRequest> = {}): DeleteRequest => ({
  key,
  metadata: {},
  options: {},
  ...extra,
});

/** A directory for this file's databases, removed (with every store and raw handle closed) after the file. */
export function useFiles() {
  const dir = mkdtempSync(join(tmpdir(), 'dk-sqlite-'));
  const stores: SqliteStateStore[] = [];
  const handles: Database.Database[] = [];
  let n = 0;
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    for (const h of handles) if (h.open) h.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    /** A fresh file path in the directory. */
    file: (name = `db${n++}.sqlite`) => join(dir, name),
    async open(properties: Metadata): Promise<SqliteStateStore> {
      const store = new SqliteStateStore();
      stores.push(store);
      await store.init(properties);
      return store;
    },
    /** A second, raw connection to a file (what another process would be). */
    raw(path: string): Database.Database {
      const h = new Database(path, { timeout: 0 });
      handles.push(h);
      return h;
    },
  };
}
