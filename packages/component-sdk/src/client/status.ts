/**
 * Reads statuses the way daprd does (spec §4): the details trailer replaces the status when the codes
 * agree (else INTERNAL "mismatch"), then kit errors, ETag errors (Set/Delete/BulkSet/BulkDelete only) and
 * bulk-delete row mismatches (BulkDelete only) are recognised; everything else stays a raw status.
 */
import type { ServiceError } from '@grpc/grpc-js';
import {
  BulkDeleteRowMismatchError,
  DaprkitError,
  ErrorCode,
  ETagInvalidError,
  ETagMismatchError,
  FailedPreconditionError,
  InvalidArgumentError,
  KitError,
  NotFoundError,
  UnavailableError,
  UnimplementedError,
} from '../errors.js';
import {
  badRequestCodec,
  ETAG_FIELD,
  errorInfoCodec,
  type RpcAny,
  type RpcStatus,
  STATUS_DETAILS_TRAILER,
  statusCodec,
} from '../server/status.js';

/** Which daprd interpretations apply to an RPC (§4.2–4.4). */
export interface StatusRules {
  kit?: boolean;
  etag?: boolean;
  bulkDeleteRows?: boolean;
}

export const RAW: StatusRules = {};
export const KIT_ONLY: StatusRules = { kit: true };
export const STATE_WRITE: StatusRules = { kit: true, etag: true };
export const STATE_BULK_DELETE: StatusRules = { kit: true, etag: true, bulkDeleteRows: true };

const INTEGER = /^-?\d+$/;

export function decodeStatusError(error: ServiceError, rules: StatusRules): DaprkitError {
  const code = error.code as ErrorCode;
  const message = error.details ?? error.message;
  const status = readDetails(error);
  if (status === undefined) return rawError(code, message);
  if (status.code !== code) {
    return new DaprkitError(
      ErrorCode.Internal,
      `grpc-status-details-bin mismatch: code ${code} != details code ${status.code}`,
    );
  }
  const details = status.details;
  if (rules.kit && details.length === 1) {
    const info = asErrorInfo(details[0]!);
    if (info?.metadata.kit_error === 'true' && INTEGER.test(info.metadata.http_code ?? '')) {
      return new KitError(
        code,
        status.message,
        Number(info.metadata.http_code),
        info.reason,
        info.domain,
        info.metadata.tag ?? '',
      );
    }
  }
  if (
    rules.etag &&
    details.length === 1 &&
    (code === ErrorCode.FailedPrecondition || code === ErrorCode.InvalidArgument)
  ) {
    const violations = asBadRequest(details[0]!)?.fieldViolations;
    if (violations?.length === 1 && violations[0]!.field === ETAG_FIELD) {
      const description = violations[0]!.description;
      return code === ErrorCode.FailedPrecondition
        ? new ETagMismatchError(description)
        : new ETagInvalidError(description);
    }
  }
  if (rules.bulkDeleteRows && code === ErrorCode.Internal && details.length === 1) {
    const metadata = asErrorInfo(details[0]!)?.metadata;
    if (metadata && INTEGER.test(metadata.expected ?? '') && INTEGER.test(metadata.affected ?? '')) {
      return new BulkDeleteRowMismatchError(Number(metadata.expected), Number(metadata.affected));
    }
  }
  return rawError(code, status.message);
}

/** The parsed details trailer; an unparsable one is ignored, as grpc-go does. */
export function readDetails(error: ServiceError): RpcStatus | undefined {
  const raw = error.metadata?.get(STATUS_DETAILS_TRAILER)[0];
  if (!(raw instanceof Buffer)) return undefined;
  try {
    return statusCodec().deserialize(raw);
  } catch {
    return undefined;
  }
}

const typeName = (any: RpcAny) => any.type_url.slice(any.type_url.lastIndexOf('/') + 1);

function asErrorInfo(any: RpcAny) {
  return typeName(any) === 'google.rpc.ErrorInfo' ? errorInfoCodec().deserialize(Buffer.from(any.value)) : undefined;
}

function asBadRequest(any: RpcAny) {
  return typeName(any) === 'google.rpc.BadRequest' ? badRequestCodec().deserialize(Buffer.from(any.value)) : undefined;
}

/** A raw status as a typed error where a class exists for its code. */
export function rawError(code: ErrorCode, message: string): DaprkitError {
  switch (code) {
    case ErrorCode.NotFound:
      return new NotFoundError(message);
    case ErrorCode.Unimplemented:
      return new UnimplementedError(message);
    case ErrorCode.Unavailable:
      return new UnavailableError(message);
    case ErrorCode.FailedPrecondition:
      return new FailedPreconditionError(message);
    case ErrorCode.InvalidArgument:
      return new InvalidArgumentError(message);
    default:
      return new DaprkitError(code in ErrorCodeNames ? code : ErrorCode.Unknown, message);
  }
}

const ErrorCodeNames: Record<number, string> = Object.fromEntries(
  Object.entries(ErrorCode).map(([name, value]) => [value, name]),
);
