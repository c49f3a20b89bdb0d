import {
  contentTypeOf,
  type DeleteRequest,
  type DeleteWithPrefixStore,
  ETagMismatchError,
  expiryFromTtl,
  FailedPreconditionError,
  type GetRequest,
  type GetResponse,
  hasETag,
  InvalidArgumentError,
  isFirstWrite,
  KEY_SEPARATOR,
  type Metadata,
  newETag,
  normalizeDeletePrefix,
  parseMetadata,
  parseTtlInSeconds,
  type QueryableStore,
  type QueryRequest,
  type QueryResponse,
  runQuery,
  type SetRequest,
  StateFeature,
  type StateStore,
  type TransactionalStore,
  type TransactionRequest,
  ttlExpireTimeMetadata,
} from '@daprkit/component-sdk';
import { memoryStateStoreMetadataSchema } from './metadata.js';

const SWEEP_INTERVAL_MS = 1000;
const NOT_JSON = Symbol('not JSON');
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** One stored version of a key. Replaced (never mutated) on every write, so `etag` identifies it. */
interface StoredItem {
  readonly value: Uint8Array;
  readonly etag: string;
  /** Epoch ms; undefined = never expires. */
  readonly expiresAt: number | undefined;
  readonly contentType: string | undefined;
  /** The value parsed as JSON, filled on first query. */
  document?: unknown;
}

function isExpired(item: StoredItem, now: number): boolean {
  return item.expiresAt !== undefined && item.expiresAt <= now;
}

/** Throws before anything changes if the request's TTL is malformed. An absent TTL means "no expiry". */
function storedItemFor(request: SetRequest, now: number): StoredItem {
  return {
    value: request.value,
    etag: newETag(),
    expiresAt: expiryFromTtl(parseTtlInSeconds(request.metadata), now),
    contentType: contentTypeOf(request),
  };
}

function assertETagMatches(key: string, etag: string, current: StoredItem | undefined): void {
  if (current === undefined) throw new ETagMismatchError(`state not exist or expired for key=${key}`);
  if (current.etag !== etag) throw new ETagMismatchError(`state etag not match for key=${key}`);
}

/** An ETag must match; without one, `first-write` makes the write insert-only. */
function assertCanSet(request: SetRequest, current: StoredItem | undefined): void {
  if (hasETag(request.etag)) assertETagMatches(request.key, request.etag, current);
  else if (isFirstWrite(request.options) && current !== undefined) {
    throw new ETagMismatchError(`state already exists for key=${request.key}`);
  }
}

/** Deleting a missing key is fine unless an ETag says which version to delete. */
function assertCanDelete(request: DeleteRequest, current: StoredItem | undefined): void {
  if (hasETag(request.etag)) assertETagMatches(request.key, request.etag, current);
}

function documentOf(item: StoredItem): unknown {
  if (item.document === undefined) {
    try {
      item.document = JSON.parse(strictUtf8.decode(item.value));
    } catch {
      item.document = NOT_JSON;
    }
  }
  return item.document;
}

function toGetResponse(item: StoredItem): GetResponse {
  const response: GetResponse = { data: item.value, etag: item.etag };
  const metadata = ttlExpireTimeMetadata(item.expiresAt);
  if (metadata !== undefined) response.metadata = metadata;
  if (item.contentType !== undefined) response.contentType = item.contentType;
  return response;
}

/**
 * A process-local state store. Every operation runs synchronously between its checks and its writes (no
 * `await` in between), so concurrent callers can never interleave inside one operation.
 */
export class MemoryStateStore implements StateStore, TransactionalStore, QueryableStore, DeleteWithPrefixStore {
  private readonly items = new Map<string, StoredItem>();
  private maxTransactionOperations = 0;
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;

  async init(properties: Metadata): Promise<void> {
    this.assertOpen();
    const metadata = parseMetadata(properties, memoryStateStoreMetadataSchema);
    // The schema default guarantees a value; parseMetadata's type does not carry defaults through yet.
    this.maxTransactionOperations = metadata.maxTransactionOperations!;
    // Reads already hide expired items; the sweeper only reclaims memory, so it must not keep the process alive.
    this.sweeper ??= setInterval(() => this.removeExpired(Date.now()), SWEEP_INTERVAL_MS).unref();
  }

  features(): readonly StateFeature[] {
    return [StateFeature.ETag, StateFeature.TTL];
  }

  /** `maxTransactionOperations`, or -1 (unlimited) when it is 0. */
  multiMaxSize(): number {
    return this.maxTransactionOperations > 0 ? this.maxTransactionOperations : -1;
  }

  async get(request: GetRequest): Promise<GetResponse> {
    this.assertOpen();
    const item = this.liveItem(request.key, Date.now());
    return item === undefined ? {} : toGetResponse(item);
  }

  async set(request: SetRequest): Promise<void> {
    this.assertOpen();
    const now = Date.now();
    const item = storedItemFor(request, now);
    assertCanSet(request, this.liveItem(request.key, now));
    this.items.set(request.key, item);
  }

  async delete(request: DeleteRequest): Promise<void> {
    this.assertOpen();
    assertCanDelete(request, this.liveItem(request.key, Date.now()));
    this.items.delete(request.key);
  }

  /**
   * All or nothing. Each operation is checked against the state the earlier operations of the same transaction
   * leave behind (as in a SQL transaction); only when every check passes is the staged result committed.
   */
  async transact(request: TransactionRequest): Promise<void> {
    this.assertOpen();
    const { operations } = request;
    const max = this.maxTransactionOperations;
    if (max > 0 && operations.length > max) {
      throw new InvalidArgumentError(
        `transaction has ${operations.length} operations; maxTransactionOperations is ${max}`,
      );
    }
    const now = Date.now();
    // Parse every TTL first so a malformed one fails the transaction before any ETag is looked at.
    const planned = operations.map((op) => {
      if (op.operation === 'upsert') return storedItemFor(op.request, now);
      if (op.operation === 'delete') return undefined;
      throw new InvalidArgumentError(`unknown transaction operation '${(op as { operation: unknown }).operation}'`);
    });

    const staged = new Map<string, StoredItem | undefined>();
    for (const [i, op] of operations.entries()) {
      const { key } = op.request;
      const current = staged.has(key) ? staged.get(key) : this.liveItem(key, now);
      if (op.operation === 'upsert') assertCanSet(op.request, current);
      else assertCanDelete(op.request, current);
      staged.set(key, planned[i]);
    }
    for (const [key, item] of staged) {
      if (item === undefined) this.items.delete(key);
      else this.items.set(key, item);
    }
  }

  /** Evaluates the query over every live value that is JSON; other values are skipped. No partition keys. */
  async query(request: QueryRequest): Promise<QueryResponse> {
    this.assertOpen();
    const now = Date.now();
    const candidates: { key: string; document: unknown; item: StoredItem }[] = [];
    for (const [key, item] of this.items) {
      if (isExpired(item, now)) {
        this.items.delete(key);
        continue;
      }
      const document = documentOf(item);
      if (document !== NOT_JSON) candidates.push({ key, document, item });
    }
    const page = runQuery(candidates, request.query);
    const response: QueryResponse = {
      items: page.items.map(({ key, item }) => ({
        key,
        data: item.value,
        etag: item.etag,
        ...(item.contentType !== undefined && { contentType: item.contentType }),
      })),
    };
    if (page.token !== undefined) response.token = page.token;
    return response;
  }

  /** Deletes the direct children of the prefix: keys with no further `||` after it. Counts live items only. */
  async deleteWithPrefix(request: { prefix: string; metadata?: Metadata }): Promise<{ count: number }> {
    this.assertOpen();
    const prefix = normalizeDeletePrefix(request.prefix);
    const now = Date.now();
    let count = 0;
    for (const [key, item] of this.items) {
      if (!key.startsWith(prefix) || key.includes(KEY_SEPARATOR, prefix.length)) continue;
      if (!isExpired(item, now)) count++;
      this.items.delete(key);
    }
    return { count };
  }

  /** Stops the sweeper and drops all data; later calls fail with FailedPreconditionError. Idempotent. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.closed = true;
    this.items.clear();
  }

  private assertOpen(): void {
    if (this.closed) throw new FailedPreconditionError('component is closed');
  }

  /** The item if present and not expired; an expired one is removed on the spot. */
  private liveItem(key: string, now: number): StoredItem | undefined {
    const item = this.items.get(key);
    if (item === undefined || !isExpired(item, now)) return item;
    this.items.delete(key);
    return undefined;
  }

  private removeExpired(now: number): void {
    for (const [key, item] of this.items) {
      if (isExpired(item, now)) this.items.delete(key);
    }
  }
}

/** A store that is already initialised with `properties`. */
export async function createMemoryStateStore(properties: Metadata = {}): Promise<MemoryStateStore> {
  const store = new MemoryStateStore();
  await store.init(properties);
  return store;
}
