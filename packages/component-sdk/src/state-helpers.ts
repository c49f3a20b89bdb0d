/**
 * Shared state-store semantics, so adapters stay thin: ETag presence, TTL parsing, expiry metadata,
 * option validation, key helpers, bulk defaults and feature resolution.
 */
import { randomUUID } from 'node:crypto';
import { BulkError, BulkStoreError, InvalidArgumentError } from './errors.js';
import type { Metadata } from './v1/common.js';
import {
  type BulkGetItem,
  type BulkOptions,
  type Concurrency,
  type Consistency,
  type DeleteRequest,
  type GetRequest,
  isQueryableStore,
  isTransactionalStore,
  type SetRequest,
  StateFeature,
  type StateOptions,
  type StateStore,
} from './v1/state.js';

// ---------- ETags ----------

/** An ETag guards a write only when present and non-empty (Dapr convention). */
export function hasETag(etag: string | undefined | null): etag is string {
  return etag !== undefined && etag !== null && etag !== '';
}

/** A fresh opaque version token. */
export function newETag(): string {
  return randomUUID();
}

/** `first-write` semantics: insert-only when no ETag is given. */
export function isFirstWrite(options: StateOptions | undefined): boolean {
  return options?.concurrency === 'first-write';
}

// ---------- TTL ----------

export const TTL_METADATA_KEY = 'ttlInSeconds';
export const TTL_EXPIRE_TIME_KEY = 'ttlExpireTime';
const MAX_TTL = 2 ** 31 - 1;

/**
 * Reads `ttlInSeconds` from request metadata: undefined when absent; otherwise an integer in [-1, 2^31-1]
 * (`-1` = explicitly never expire). Anything else is an InvalidArgumentError (contrib's wording).
 */
export function parseTtlInSeconds(metadata: Metadata | undefined): number | undefined {
  const raw = metadata?.[TTL_METADATA_KEY];
  if (raw === undefined || raw === '') return undefined;
  const text = raw.trim();
  if (!/^[-+]?\d+$/.test(text)) {
    throw new InvalidArgumentError(`incorrect value for metadata '${TTL_METADATA_KEY}': '${raw}' is not an integer`);
  }
  const n = Number(text);
  if (n < -1 || n > MAX_TTL) {
    throw new InvalidArgumentError(
      `incorrect value for metadata '${TTL_METADATA_KEY}': ${n} is out of range [-1, ${MAX_TTL}]`,
    );
  }
  return n;
}

/** Absolute expiry (ms since epoch) for a TTL, or undefined when the item must not expire (absent, 0, -1). */
export function expiryFromTtl(ttlSeconds: number | undefined, now = Date.now()): number | undefined {
  return ttlSeconds !== undefined && ttlSeconds > 0 ? now + ttlSeconds * 1000 : undefined;
}

/** `{ ttlExpireTime: <RFC 3339 UTC> }` for a response, or undefined when there is no expiry. */
export function ttlExpireTimeMetadata(expiresAtMs: number | undefined | null): Metadata | undefined {
  if (expiresAtMs === undefined || expiresAtMs === null) return undefined;
  return { [TTL_EXPIRE_TIME_KEY]: new Date(expiresAtMs).toISOString() };
}

// ---------- options ----------

/** Validates Dapr's option strings (`''` = unspecified), with contrib's error text. */
export function parseConcurrency(value: string | undefined): Concurrency | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'first-write' || value === 'last-write') return value;
  throw new InvalidArgumentError(`unrecognized concurrency model '${value}'`);
}

export function parseConsistency(value: string | undefined): Consistency | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'strong' || value === 'eventual') return value;
  throw new InvalidArgumentError(`unrecognized consistency model '${value}'`);
}

/** The content type of a write: the explicit field, else `metadata.contentType`. */
export function contentTypeOf(request: { contentType?: string; metadata?: Metadata }): string | undefined {
  return request.contentType || request.metadata?.contentType || undefined;
}

// ---------- keys ----------

export const KEY_SEPARATOR = '||';

/** The user's key inside a prefixed key: the text between the first and second `||` (daprd's rule). */
export function originalKey(key: string): string {
  const first = key.indexOf(KEY_SEPARATOR);
  if (first < 0) return key;
  const rest = key.slice(first + KEY_SEPARATOR.length);
  const second = rest.indexOf(KEY_SEPARATOR);
  return second < 0 ? rest : rest.slice(0, second);
}

/** Normalises a delete-with-prefix prefix: required, not `||`, ends with `||`. */
export function normalizeDeletePrefix(prefix: string): string {
  if (prefix === '' || prefix === KEY_SEPARATOR) {
    throw new InvalidArgumentError('a prefix is required for deleteWithPrefix request');
  }
  return prefix.endsWith(KEY_SEPARATOR) ? prefix : prefix + KEY_SEPARATOR;
}

// ---------- values ----------

const encoder = new TextEncoder();

/** Bytes pass through; any other value is JSON-serialised once (strings keep their quotes). */
export function toStateBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  return encoder.encode(JSON.stringify(value));
}

// ---------- bulk ----------

/** Runs `fn` over items with at most `parallelism` in flight (`<= 0` = all at once); keeps order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  parallelism: number | undefined,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const limit = parallelism !== undefined && parallelism > 0 ? Math.min(parallelism, items.length) : items.length;
  if (limit >= items.length) return Promise.all(items.map(fn));
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}

/** Default bulk get: parallel single gets; per-key failures go into `error`. */
export async function defaultBulkGet(
  store: StateStore,
  requests: GetRequest[],
  options?: BulkOptions,
): Promise<BulkGetItem[]> {
  return mapLimit(requests, options?.parallelism, async (request) => {
    try {
      const r = await store.get(request);
      return { key: request.key, ...r };
    } catch (err) {
      return { key: request.key, error: err instanceof Error ? err.message : String(err) };
    }
  });
}

async function runEach<T extends { key: string }>(
  requests: T[],
  options: BulkOptions | undefined,
  fn: (r: T) => Promise<void>,
): Promise<void> {
  const failures: BulkStoreError[] = [];
  await mapLimit(requests, options?.parallelism, async (request) => {
    try {
      await fn(request);
    } catch (err) {
      failures.push(new BulkStoreError(request.key, err));
    }
  });
  if (failures.length > 0) throw new BulkError(failures);
}

/** Default bulk set: every item attempted; failures aggregated as a BulkError (successes stay applied). */
export function defaultBulkSet(store: StateStore, requests: SetRequest[], options?: BulkOptions): Promise<void> {
  return runEach(requests, options, (r) => store.set(r));
}

export function defaultBulkDelete(store: StateStore, requests: DeleteRequest[], options?: BulkOptions): Promise<void> {
  return runEach(requests, options, (r) => store.delete(r));
}

/** Bulk operations with the store's own implementation when it has one. */
export const bulk = {
  get: (store: StateStore, requests: GetRequest[], options?: BulkOptions) =>
    store.bulkGet ? store.bulkGet(requests, options) : defaultBulkGet(store, requests, options),
  set: (store: StateStore, requests: SetRequest[], options?: BulkOptions) =>
    store.bulkSet ? store.bulkSet(requests, options) : defaultBulkSet(store, requests, options),
  delete: (store: StateStore, requests: DeleteRequest[], options?: BulkOptions) =>
    store.bulkDelete ? store.bulkDelete(requests, options) : defaultBulkDelete(store, requests, options),
};

// ---------- features ----------

/**
 * The features a store really has: its declared ones plus those implied by its methods
 * (TRANSACTIONAL ⇐ transact, QUERY_API ⇐ query, DELETE_WITH_PREFIX ⇐ deleteWithPrefix).
 * Declaring a method-backed feature without the method is a programming error.
 */
export function resolveStateFeatures(store: StateStore): StateFeature[] {
  const declared = new Set(store.features());
  const implied: [StateFeature, boolean][] = [
    [StateFeature.Transactional, isTransactionalStore(store)],
    [StateFeature.QueryAPI, isQueryableStore(store)],
    [StateFeature.DeleteWithPrefix, typeof (store as { deleteWithPrefix?: unknown }).deleteWithPrefix === 'function'],
  ];
  for (const [feature, implemented] of implied) {
    if (implemented) declared.add(feature);
    else if (declared.has(feature)) {
      throw new TypeError(`state store declares ${feature} but does not implement the method behind it`);
    }
  }
  return [...declared];
}
