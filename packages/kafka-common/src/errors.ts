/**
 * kafkajs failures → typed SDK errors. Transient trouble becomes UnavailableError, which daprd's resiliency
 * policies match as retriable; requests that can never succeed become InvalidArgumentError and the like.
 */
import { DaprkitError, ErrorCode, InvalidArgumentError, UnavailableError } from '@daprkit/component-sdk';
import { PartitionOutOfRangeError } from './records.js';

interface KafkaJSErrorLike extends Error {
  retriable?: boolean;
  type?: string;
  cause?: unknown;
}

/** Broker answers that are the request's fault, not the cluster's. */
const INVALID_REQUEST = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TOPIC_EXCEPTION',
  'CORRUPT_MESSAGE',
  'INVALID_REQUIRED_ACKS',
  'UNSUPPORTED_COMPRESSION_TYPE',
]);
const DENIED = new Set(['TOPIC_AUTHORIZATION_FAILED', 'CLUSTER_AUTHORIZATION_FAILED', 'GROUP_AUTHORIZATION_FAILED']);

/** The error and its causes, outermost first (kafkajs wraps retries and bails). */
function chain(err: unknown): KafkaJSErrorLike[] {
  const out: KafkaJSErrorLike[] = [];
  for (let e = err; e instanceof Error && out.length < 8; e = (e as KafkaJSErrorLike).cause) out.push(e);
  return out;
}

export function toPublishError(err: unknown): DaprkitError {
  if (DaprkitError.isInstance(err)) return err;
  const errors = chain(err);
  const root = errors[errors.length - 1];
  const message = root?.message ?? String(err);
  if (errors.some((e) => e instanceof PartitionOutOfRangeError))
    return new InvalidArgumentError(message, { cause: err });
  const type = errors.find((e) => e.type !== undefined)?.type;
  if (type !== undefined && INVALID_REQUEST.has(type))
    return new InvalidArgumentError(`publish rejected by the broker: ${message}`, { cause: err });
  if (type !== undefined && DENIED.has(type))
    return new DaprkitError(ErrorCode.PermissionDenied, message, { cause: err });
  if (errors.some((e) => e.name === 'KafkaJSSASLAuthenticationError')) {
    return new DaprkitError(ErrorCode.Unauthenticated, message, { cause: err });
  }
  // Connection, timeout, leadership and "retries exhausted" errors: the cluster may recover.
  if (
    errors.some(
      (e) =>
        e.retriable === true || e.name === 'KafkaJSNumberOfRetriesExceeded' || e.name.startsWith('KafkaJSConnection'),
    )
  ) {
    return new UnavailableError(`kafka unavailable: ${message}`, { cause: err });
  }
  return new DaprkitError(ErrorCode.Unknown, message, { cause: err });
}
