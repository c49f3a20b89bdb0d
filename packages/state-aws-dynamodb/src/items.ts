/**
 * contrib's item layout: `<partitionKey>` (S) = state key, `value` (S or B), `etag` (S, random 64-bit lowercase
 * hex), `<ttlAttributeName>` (N, epoch seconds) when the write had a TTL.
 */

import { randomBytes } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { InvalidArgumentError, type Metadata, ttlExpireTimeMetadata } from '@daprkit/component-sdk';

export type Item = Record<string, AttributeValue>;

/** contrib's ETag: a random uint64 printed as lowercase hex without padding. */
export function newEtag(): string {
  return randomBytes(8).readBigUInt64BE().toString(16);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * `S` when the bytes are valid UTF-8 (what contrib stores for the same HTTP API request, a JSON text), `B`
 * otherwise: the pluggable protocol only delivers bytes. contrib reads both.
 */
export function valueAttribute(value: Uint8Array): AttributeValue {
  try {
    return { S: utf8.decode(value) };
  } catch {
    return { B: value };
  }
}

const encoder = new TextEncoder();

/** The stored value's bytes (S or B). */
export function valueBytes(attribute: AttributeValue | undefined): Uint8Array {
  if (attribute?.B !== undefined) return attribute.B;
  if (attribute?.S !== undefined) return encoder.encode(attribute.S);
  return new Uint8Array(0);
}

/**
 * Expiry (epoch seconds) for a write: only with `ttlAttributeName`; request `ttlInSeconds` > 0 → now + n;
 * `0`/`-1` (and other non-positive values) → no expiry (Dapr's meaning; contrib writes an already-expired item).
 */
export function expiryFor(ttlAttributeName: string | undefined, metadata: Metadata | undefined): number | undefined {
  if (ttlAttributeName === undefined) return undefined;
  const raw = metadata?.ttlInSeconds;
  if (raw === undefined || raw === '') return undefined;
  if (!/^[-+]?\d+$/.test(raw.trim())) {
    throw new InvalidArgumentError(`incorrect value for metadata 'ttlInSeconds': '${raw}' is not an integer`);
  }
  const n = Number(raw.trim());
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`metadata 'ttlInSeconds': ${raw} is out of range`);
  return n > 0 ? Math.floor(Date.now() / 1000) + n : undefined;
}

export function buildItem(
  partitionKey: string,
  key: string,
  value: Uint8Array,
  etag: string,
  ttlAttributeName: string | undefined,
  expiry: number | undefined,
): Item {
  const item: Item = { [partitionKey]: { S: key }, value: valueAttribute(value), etag: { S: etag } };
  if (ttlAttributeName !== undefined && expiry !== undefined) item[ttlAttributeName] = { N: String(expiry) };
  return item;
}

/** A read item as a response: expired items (DynamoDB deletes lazily, moto never) are missing. */
export function readItem(
  item: Item | undefined,
  ttlAttributeName: string | undefined,
  nowSeconds: number,
): { data?: Uint8Array; etag?: string; metadata?: Metadata } {
  if (item === undefined || Object.keys(item).length === 0) return {};
  const out: { data?: Uint8Array; etag?: string; metadata?: Metadata } = { data: valueBytes(item.value) };
  if (ttlAttributeName !== undefined) {
    const expiry = item[ttlAttributeName]?.N;
    if (expiry !== undefined) {
      const seconds = Number(expiry);
      if (Number.isFinite(seconds)) {
        if (seconds <= nowSeconds) return {};
        const meta = ttlExpireTimeMetadata(seconds * 1000);
        if (meta !== undefined) out.metadata = meta;
      }
    }
  }
  if (item.etag?.S !== undefined) out.etag = item.etag.S;
  return out;
}
