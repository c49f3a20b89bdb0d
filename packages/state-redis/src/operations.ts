/**
 * Translation between SDK requests and the scripts' argument/reply layout (see scripts.ts).
 */
import {
  type BulkGetItem,
  DaprkitError,
  ETagInvalidError,
  ETagMismatchError,
  type Metadata,
  type StateOptions,
  UnavailableError,
  hasETag,
  isFirstWrite,
  parseTtlInSeconds,
  ttlExpireTimeMetadata,
} from '@daprkit/component-sdk';
import { READ_FIELDS_PER_KEY, ReadStatus } from './scripts.js';

/** ETags are the hash's `version` counter: a positive decimal integer, exactly as HINCRBY prints it. */
const VERSION_TEXT = /^[1-9][0-9]*$/;

/** The version a write must find ('' = unguarded). Malformed ETags fail here, before any I/O. */
export function expectedVersion(etag: string | undefined): string {
  if (!hasETag(etag)) return '';
  if (!VERSION_TEXT.test(etag)) {
    throw new ETagInvalidError(`invalid etag value: '${etag}' is not a Redis state version (a positive integer)`);
  }
  return etag;
}

/** '1' marks first-write concurrency for the script (insert-only without an ETag, plus the layout marker). */
export function firstWriteFlag(options: StateOptions | undefined): string {
  return isFirstWrite(options) ? '1' : '';
}

/**
 * Seconds for the script: > 0 sets the expiry, anything else removes it. The request's `ttlInSeconds` wins,
 * then the component default; a write with neither clears a previous expiry (as the SQL stores do).
 */
export function effectiveTtl(metadata: Metadata | undefined, defaultTtlSeconds: number | undefined): number {
  return parseTtlInSeconds(metadata) ?? defaultTtlSeconds ?? 0;
}

/** Zero-copy view: ioredis writes Buffers as bytes but would stringify a plain Uint8Array. */
export function asBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

export type ReadReply = (number | Buffer)[];

/** Item `index` of a read-script reply; `error` is set for keys holding something other than state. */
export function readItem(key: string, reply: ReadReply, index: number, now: number): BulkGetItem {
  const at = index * READ_FIELDS_PER_KEY;
  const status = reply[at] as number;
  if (status === ReadStatus.Missing) return { key };
  if (status === ReadStatus.Unreadable) {
    return { key, error: `key '${key}' does not hold state: not a hash with 'data' and 'version' fields, nor a plain string` };
  }
  const pttl = reply[at + 3] as number;
  const metadata = ttlExpireTimeMetadata(pttl > 0 ? now + pttl : undefined);
  const item: BulkGetItem = { key, data: reply[at + 1] as Buffer };
  // A legacy plain-string value has no version, hence no ETag (as contrib).
  if (status === ReadStatus.Hash) item.etag = String(reply[at + 2]);
  if (metadata !== undefined) item.metadata = metadata;
  return item;
}

/**
 * Maps a script or client failure: our script errors name the operation (1-based) that failed its check;
 * connection trouble becomes Unavailable (retryable); other server replies pass through.
 */
export function toStoreError(err: unknown, keys: readonly string[], inTransaction = false): unknown {
  if (!(err instanceof Error)) return err;
  const check = /^DAPRKIT_(ETAG|EXISTS) (\d+)/.exec(err.message);
  if (check !== null) {
    const key = keys[Number(check[2]) - 1];
    const reason =
      check[1] === 'ETAG'
        ? `etag mismatch for key '${key}': the stored version differs or the key does not exist`
        : `first-write failed for key '${key}': the key already exists`;
    return new ETagMismatchError(inTransaction ? `${reason}; no operation of the transaction was applied` : reason);
  }
  if (err.name === 'ReplyError' || DaprkitError.isInstance(err)) return err;
  return new UnavailableError(`redis: ${err.message}`, { cause: err });
}

