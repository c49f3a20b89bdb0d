/**
 * The one place where thrown values become gRPC statuses, encoded the way daprd reads them (spec §4):
 * the `grpc-status-details-bin` trailer repeats the status code and message, because grpc-go replaces the
 * status with the trailer's proto when the codes agree (an empty proto message would blank the error text).
 */
import { status as GrpcStatus, Metadata, type ServerErrorResponse } from '@grpc/grpc-js';
import { BulkDeleteRowMismatchError, BulkError, DaprkitError, ErrorCode, isETagError, KitError } from '../errors.js';
import { messageCodec } from './proto.js';

export const STATUS_DETAILS_TRAILER = 'grpc-status-details-bin';
export const BAD_REQUEST_TYPE_URL = 'type.googleapis.com/google.rpc.BadRequest';
export const ERROR_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.ErrorInfo';
export const ETAG_FIELD = 'etag';
export const BULK_DELETE_MISMATCH_REASON = 'BULK_DELETE_ROW_MISMATCH';
export const DAPR_DOMAIN = 'dapr.io';

export interface RpcAny {
  type_url: string;
  value: Uint8Array;
}
export interface RpcStatus {
  code: number;
  message: string;
  details: RpcAny[];
}
export interface RpcErrorInfo {
  reason: string;
  domain: string;
  metadata: Record<string, string>;
}
export interface RpcBadRequest {
  fieldViolations: { field: string; description: string }[];
}

export const statusCodec = () => messageCodec<RpcStatus>('google.rpc.Status');
export const errorInfoCodec = () => messageCodec<RpcErrorInfo>('google.rpc.ErrorInfo');
export const badRequestCodec = () => messageCodec<RpcBadRequest>('google.rpc.BadRequest');

/** Node network errors that mean "the backend is unreachable": transient, so UNAVAILABLE. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/** A grpc-js server error for a thrown value. Never carries a stack trace. */
export function toServiceError(thrown: unknown): ServerErrorResponse {
  const error = asDaprkitError(thrown);
  if (error instanceof BulkError) return bulkServiceError(error);
  return serviceError(error.code, error.message, detailsOf(error, error.message));
}

function asDaprkitError(thrown: unknown): DaprkitError {
  if (DaprkitError.isInstance(thrown)) return thrown;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  const systemCode = (thrown as { code?: unknown } | null)?.code;
  const code =
    typeof systemCode === 'string' && CONNECTION_ERROR_CODES.has(systemCode)
      ? ErrorCode.Unavailable
      : ErrorCode.Unknown;
  return new DaprkitError(code, message);
}

/**
 * The protocol reports one status for the whole bulk call: an ETag failure dominates (the wire cannot name
 * the key, so the message does), otherwise the first failure's own encoding.
 */
function bulkServiceError(error: BulkError): ServerErrorResponse {
  const representative: DaprkitError | undefined =
    error.errors.find((e) => e.etagError() !== undefined)?.etagError() ??
    (error.errors[0] ? asDaprkitError(error.errors[0].cause) : undefined);
  if (representative === undefined) return serviceError(error.code, error.message, []);
  return serviceError(representative.code, error.message, detailsOf(representative, error.message));
}

function detailsOf(error: DaprkitError, message: string): RpcAny[] {
  if (isETagError(error)) return [etagViolation(message)];
  if (error instanceof BulkDeleteRowMismatchError) {
    return [
      errorInfo({
        reason: BULK_DELETE_MISMATCH_REASON,
        domain: DAPR_DOMAIN,
        metadata: { expected: String(error.expected), affected: String(error.affected) },
      }),
    ];
  }
  if (error instanceof KitError) {
    return [
      errorInfo({
        reason: error.reason,
        domain: error.domain,
        metadata: { kit_error: 'true', http_code: String(error.httpCode), tag: error.tag },
      }),
    ];
  }
  return [];
}

function etagViolation(description: string): RpcAny {
  return {
    type_url: BAD_REQUEST_TYPE_URL,
    value: badRequestCodec().serialize({ fieldViolations: [{ field: ETAG_FIELD, description }] }),
  };
}

function errorInfo(info: RpcErrorInfo): RpcAny {
  return { type_url: ERROR_INFO_TYPE_URL, value: errorInfoCodec().serialize(info) };
}

/** A status error with the details trailer when there are details (code and message repeated in it). */
export function serviceError(code: number, message: string, details: RpcAny[] = []): ServerErrorResponse {
  const error = new Error(message) as ServerErrorResponse;
  error.code = code in GrpcStatus ? code : GrpcStatus.UNKNOWN;
  error.details = message;
  if (details.length > 0) {
    const trailers = new Metadata();
    trailers.set(STATUS_DETAILS_TRAILER, statusCodec().serialize({ code: error.code, message, details }));
    error.metadata = trailers;
  }
  return error;
}
