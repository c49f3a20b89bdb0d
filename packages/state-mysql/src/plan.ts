/** Request → operation with everything that can be rejected (empty key, bad TTL) checked before any SQL runs. */
import {
  type DeleteRequest,
  hasETag,
  InvalidArgumentError,
  isFirstWrite,
  parseTtlInSeconds,
  type SetRequest,
  type TransactionOperation,
} from '@daprkit/component-sdk';
import { encodeValue } from './values.js';

export interface PlannedSet {
  kind: 'upsert';
  key: string;
  /** Only a present, non-empty etag guards the write. */
  etag: string | undefined;
  firstWrite: boolean;
  text: string;
  isBinary: 0 | 1;
  /** Seconds, or null for no expiry (absent, 0 and -1 all clear an earlier expiry, as in contrib). */
  ttl: number | null;
}

export interface PlannedDelete {
  kind: 'delete';
  key: string;
  etag: string | undefined;
}

export type PlannedOperation = PlannedSet | PlannedDelete;

function requireKey(key: string, operation: string): string {
  if (key === '') throw new InvalidArgumentError(`missing key in ${operation} operation`);
  return key;
}

export function planSet(request: SetRequest): PlannedSet {
  const ttl = parseTtlInSeconds(request.metadata);
  const { text, isBinary } = encodeValue(request.value, request.binary);
  return {
    kind: 'upsert',
    key: requireKey(request.key, 'set'),
    etag: hasETag(request.etag) ? request.etag : undefined,
    firstWrite: isFirstWrite(request.options),
    text,
    isBinary: isBinary ? 1 : 0,
    ttl: ttl !== undefined && ttl > 0 ? ttl : null,
  };
}

export function planDelete(request: DeleteRequest): PlannedDelete {
  return {
    kind: 'delete',
    key: requireKey(request.key, 'delete'),
    etag: hasETag(request.etag) ? request.etag : undefined,
  };
}

export function planOperation(op: TransactionOperation): PlannedOperation {
  if (op.operation === 'upsert') return planSet(op.request);
  if (op.operation === 'delete') return planDelete(op.request);
  throw new InvalidArgumentError(`unknown transaction operation '${(op as { operation: unknown }).operation}'`);
}
