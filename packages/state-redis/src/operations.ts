/**
 * Translation between SDK requests and the scripts' argument/reply layout (see scripts.ts).
 */
import {
  DaprkitError,
  ETagInvalidError,
  ETagMismatchError,
  type GetResponse,
  hasETag,
  isFirstWrite,
  type Metadata,
  parseTtlInSeconds,
  type StateOptions,
  ttlExpireTimeMetadata,
  UnavailableError,
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

/**
 * Fills `into` with entry `index` of a read-script reply (data, etag, ttlExpireTime); sets `error` instead for
 * a key holding something other than state. Writing into the caller's object saves a copy per key.
 */
export function readItem<T extends GetResponse & { error?: string }>(
  into: T,
  key: string,
  reply: ReadReply,
  index: number,
  now: number,
): T {
  const at = index * READ_FIELDS_PER_KEY;
  const status = reply[at] as number;
  if (status === ReadStatus.Missing) return into;
  if (status === ReadStatus.Unreadable) {
    into.error = `key '${key}' does not hold state: not a hash with 'data' and 'version' fields, nor a plain string`;
    return into;
  }
  into.data = reply[at + 1] as Buffer;
  // A legacy plain-string value has no version, hence no ETag (as contrib).
  if (status === ReadStatus.Hash) into.etag = String(reply[at + 2]);
  const pttl = reply[at + 3] as number;
  if (pttl > 0) into.metadata = ttlExpireTimeMetadata(now + pttl);
  return into;
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
