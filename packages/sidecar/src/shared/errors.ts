/**
 * Dapr API errors, shaped as daprd answers them (spec §0.1): a legacy `{errorCode, message}` body, optionally with
 * rich `details` (google.rpc ErrorInfo/ResourceInfo/BadRequest/Help). One error value serves HTTP and gRPC.
 *
 * Every error the sidecar answers with is a row of API_ERRORS: its daprd error code, HTTP status, gRPC code, the
 * ErrorInfo reason and which details it carries in which order. Call sites name the row and fill in the fields:
 * `apiError('pubsubNotFound', { message, info: metadata })`.
 */
import { ErrorCode } from '@daprkit/component-sdk';

export type ErrorDetail = Record<string, unknown> & { '@type': string };

/** The rich details an error may carry, in daprd's order for that error. */
export type DetailKind = 'info' | 'resource' | 'badRequest' | 'help';

export interface ErrorSpec {
  errorCode: string;
  httpStatus: number;
  grpcCode: ErrorCode;
  /** google.rpc.ErrorInfo reason (needed by `info`). */
  reason?: string;
  /** google.rpc.ResourceInfo resource type (needed by `resource`). */
  resourceType?: 'state' | 'pubsub';
  /** google.rpc.Help link (needed by `help`). */
  help?: { url: string; description: string };
  details?: readonly DetailKind[];
}

const invalid = { httpStatus: 400, grpcCode: ErrorCode.InvalidArgument } as const;
const internal = { httpStatus: 500, grpcCode: ErrorCode.Internal } as const;
const pubsub = { resourceType: 'pubsub', details: ['info', 'resource'] } as const;
const stateResource = { resourceType: 'state', details: ['resource', 'info'] } as const;

/** The catalogue: one row per error the sidecar answers with. */
export const API_ERRORS = {
  // General
  malformedRequest: { errorCode: 'ERR_MALFORMED_REQUEST', ...invalid },
  /** Anything that is not already an ApiError: daprd's generic fallback. */
  unknown: { errorCode: 'ERROR', ...internal },
  apiUnimplemented: { errorCode: 'ERR_API_UNIMPLEMENTED', httpStatus: 501, grpcCode: ErrorCode.Unimplemented },
  unauthenticated: { errorCode: 'Unauthorized', httpStatus: 401, grpcCode: ErrorCode.Unauthenticated },
  /** daprkit only: a browser-originated write without an API token (http/browser-guard.ts). */
  browserRequestRejected: {
    errorCode: 'ERR_BROWSER_REQUEST_REJECTED',
    httpStatus: 403,
    grpcCode: ErrorCode.PermissionDenied,
  },
  healthAppIdMismatch: { errorCode: 'ERR_HEALTH_APPID_NOT_MATCH', ...internal },
  healthNotReady: { errorCode: 'ERR_HEALTH_NOT_READY', ...internal },
  outboundHealthNotReady: { errorCode: 'ERR_OUTBOUND_HEALTH_NOT_READY', ...internal },

  // Service invocation (spec sidecar-wave2 §1.4, §1.8)
  directInvoke: { errorCode: 'ERR_DIRECT_INVOKE', ...internal },
  directInvokeNoAppId: { errorCode: 'ERR_DIRECT_INVOKE', httpStatus: 404, grpcCode: ErrorCode.NotFound },
  directInvokeDenied: { errorCode: 'ERR_DIRECT_INVOKE', httpStatus: 403, grpcCode: ErrorCode.PermissionDenied },

  // State
  stateStoreNotConfigured: {
    errorCode: 'ERR_STATE_STORE_NOT_CONFIGURED',
    httpStatus: 500,
    grpcCode: ErrorCode.FailedPrecondition,
    reason: 'DAPR_STATE_NOT_CONFIGURED',
    details: ['info'],
  },
  stateStoreNotFound: {
    errorCode: 'ERR_STATE_STORE_NOT_FOUND',
    ...invalid,
    reason: 'DAPR_STATE_NOT_FOUND',
    details: ['info'],
  },
  stateIllegalKey: {
    errorCode: 'ERR_MALFORMED_REQUEST',
    ...invalid,
    reason: 'DAPR_STATE_ILLEGAL_KEY',
    resourceType: 'state',
    details: ['badRequest', 'resource', 'info'],
  },
  stateGet: { errorCode: 'ERR_STATE_GET', ...internal },
  stateBulkGet: { errorCode: 'ERR_STATE_BULK_GET', ...internal },
  stateSave: { errorCode: 'ERR_STATE_SAVE', ...internal },
  stateSaveInvalid: { errorCode: 'ERR_STATE_SAVE', ...invalid },
  stateSaveETagMismatch: { errorCode: 'ERR_STATE_SAVE', httpStatus: 409, grpcCode: ErrorCode.Aborted },
  stateDelete: { errorCode: 'ERR_STATE_DELETE', ...internal },
  stateDeleteInvalid: { errorCode: 'ERR_STATE_DELETE', ...invalid },
  stateDeleteETagMismatch: { errorCode: 'ERR_STATE_DELETE', httpStatus: 409, grpcCode: ErrorCode.Aborted },
  stateQueryFailed: { errorCode: 'ERR_STATE_QUERY', ...internal, reason: 'DAPR_STATE_QUERY_FAILED', ...stateResource },
  stateQueryNotSupported: {
    errorCode: 'ERR_STATE_STORE_NOT_SUPPORTED',
    ...internal,
    reason: 'DAPR_STATE_QUERYING_NOT_SUPPORTED',
    ...stateResource,
  },
  stateTransactionsNotSupported: {
    errorCode: 'ERR_STATE_STORE_NOT_SUPPORTED',
    httpStatus: 500,
    grpcCode: ErrorCode.Unimplemented,
    reason: 'DAPR_STATE_TRANSACTIONS_NOT_SUPPORTED',
    resourceType: 'state',
    help: {
      url: 'https://docs.dapr.io/reference/components-reference/supported-state-stores/',
      description: 'Check the list of state stores and the features they support',
    },
    details: ['help', 'resource', 'info'],
  },
  stateOperationNotSupported: {
    errorCode: 'ERR_NOT_SUPPORTED_STATE_OPERATION',
    httpStatus: 400,
    grpcCode: ErrorCode.Unimplemented,
  },
  stateTooManyTransactions: {
    errorCode: 'ERR_STATE_STORE_TOO_MANY_TRANSACTIONS',
    ...invalid,
    reason: 'DAPR_STATE_TOO_MANY_TRANSACTIONS',
    details: ['info'],
  },
  stateTransaction: { errorCode: 'ERR_STATE_TRANSACTION', ...internal },

  // Pub/sub
  pubsubMetadata: {
    errorCode: 'ERR_PUBSUB_REQUEST_METADATA',
    ...invalid,
    reason: 'DAPR_PUBSUB_METADATA_DESERIALIZATION',
    ...pubsub,
  },
  pubsubNameEmpty: {
    errorCode: 'ERR_PUBSUB_EMPTY',
    httpStatus: 404,
    grpcCode: ErrorCode.InvalidArgument,
    reason: 'DAPR_PUBSUB_NAME_EMPTY',
    ...pubsub,
  },
  pubsubNotFound: {
    errorCode: 'ERR_PUBSUB_NOT_FOUND',
    httpStatus: 404,
    grpcCode: ErrorCode.InvalidArgument,
    reason: 'DAPR_PUBSUB_NOT_FOUND',
    details: ['info'],
  },
  pubsubTopicEmpty: {
    errorCode: 'ERR_TOPIC_NAME_EMPTY',
    httpStatus: 404,
    grpcCode: ErrorCode.InvalidArgument,
    reason: 'DAPR_PUBSUB_TOPIC_NAME_EMPTY',
    ...pubsub,
  },
  pubsubForbidden: {
    errorCode: 'ERR_PUBSUB_FORBIDDEN',
    httpStatus: 403,
    grpcCode: ErrorCode.PermissionDenied,
    reason: 'DAPR_PUBSUB_FORBIDDEN',
    ...pubsub,
  },
  pubsubCloudEventCreation: {
    errorCode: 'ERR_PUBSUB_CLOUD_EVENTS_SER',
    httpStatus: 500,
    grpcCode: ErrorCode.InvalidArgument,
    reason: 'DAPR_PUBSUB_CLOUD_EVENT_CREATION',
    ...pubsub,
  },
  pubsubPublishMessage: {
    errorCode: 'ERR_PUBSUB_PUBLISH_MESSAGE',
    ...internal,
    reason: 'DAPR_PUBSUB_PUBLISH_MESSAGE',
    ...pubsub,
  },
  pubsubMarshalEvents: {
    errorCode: 'ERR_PUBSUB_EVENTS_SER',
    ...invalid,
    reason: 'DAPR_PUBSUB_MARSHAL_EVENTS',
    ...pubsub,
  },
  pubsubUnmarshalEvents: {
    errorCode: 'ERR_PUBSUB_EVENTS_SER',
    ...invalid,
    reason: 'DAPR_PUBSUB_UNMARSHAL_EVENTS',
    ...pubsub,
  },
  pubsubMarshalEnvelope: {
    errorCode: 'ERR_PUBSUB_EVENTS_SER',
    ...invalid,
    reason: 'DAPR_PUBSUB_MARSHAL_ENVELOPE',
    ...pubsub,
  },
  publishOutbox: { errorCode: 'ERR_PUBLISH_OUTBOX', ...internal, reason: 'DAPR_PUBSUB_OUTBOX', details: ['info'] },

  // Bindings
  invokeOutputBinding: { errorCode: 'ERR_INVOKE_OUTPUT_BINDING', ...internal },

  // Secrets
  secretStoresNotConfigured: {
    errorCode: 'ERR_SECRET_STORES_NOT_CONFIGURED',
    httpStatus: 500,
    grpcCode: ErrorCode.FailedPrecondition,
  },
  secretStoreNotFound: {
    errorCode: 'ERR_SECRET_STORE_NOT_FOUND',
    httpStatus: 401,
    grpcCode: ErrorCode.InvalidArgument,
  },
  secretPermissionDenied: { errorCode: 'ERR_PERMISSION_DENIED', httpStatus: 403, grpcCode: ErrorCode.PermissionDenied },
  secretGet: { errorCode: 'ERR_SECRET_GET', ...internal },
} as const satisfies Record<string, ErrorSpec>;

export type ApiErrorKind = keyof typeof API_ERRORS;

export interface ApiErrorInit {
  httpStatus: number;
  errorCode: string;
  message: string;
  grpcCode: ErrorCode;
  details?: ErrorDetail[];
}

export class ApiError extends Error {
  readonly httpStatus: number;
  readonly errorCode: string;
  readonly grpcCode: ErrorCode;
  readonly details: ErrorDetail[];

  constructor(init: ApiErrorInit) {
    super(init.message);
    this.name = 'ApiError';
    this.httpStatus = init.httpStatus;
    this.errorCode = init.errorCode;
    this.grpcCode = init.grpcCode;
    this.details = init.details ?? [];
  }

  toJSON(): Record<string, unknown> {
    return this.details.length > 0
      ? { errorCode: this.errorCode, message: this.message, details: this.details }
      : { errorCode: this.errorCode, message: this.message };
  }
}

/** What a call site fills in; which of them end up in `details` is the catalogue row's business. */
export interface ApiErrorFields {
  message: string;
  /** ErrorInfo metadata. */
  info?: Record<string, string>;
  /** ResourceInfo resource name (the component). */
  resource?: string;
  /** BadRequest field violation: the offending field. */
  field?: string;
}

const errorInfo = (reason: string, metadata: Record<string, string>): ErrorDetail => ({
  '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
  reason,
  domain: 'dapr.io',
  metadata,
});

const resourceInfo = (resourceType: string, resourceName: string, description: string): ErrorDetail => ({
  '@type': 'type.googleapis.com/google.rpc.ResourceInfo',
  resource_type: resourceType,
  resource_name: resourceName,
  owner: '',
  description,
});

const badRequest = (field: string, description: string): ErrorDetail => ({
  '@type': 'type.googleapis.com/google.rpc.BadRequest',
  field_violations: [{ field, description }],
});

const helpLink = (url: string, description: string): ErrorDetail => ({
  '@type': 'type.googleapis.com/google.rpc.Help',
  links: [{ description, url }],
});

function detail(kind: DetailKind, spec: ErrorSpec, fields: ApiErrorFields): ErrorDetail {
  switch (kind) {
    case 'info':
      return errorInfo(spec.reason ?? '', fields.info ?? {});
    case 'resource':
      return resourceInfo(spec.resourceType ?? '', fields.resource ?? '', fields.message);
    case 'badRequest':
      return badRequest(fields.field ?? '', fields.message);
    case 'help':
      return helpLink(spec.help?.url ?? '', spec.help?.description ?? '');
  }
}

/** An error from its catalogue row. */
export function apiError(kind: ApiErrorKind, fields: ApiErrorFields): ApiError {
  const spec: ErrorSpec = API_ERRORS[kind];
  return new ApiError({
    httpStatus: spec.httpStatus,
    errorCode: spec.errorCode,
    grpcCode: spec.grpcCode,
    message: fields.message,
    details: (spec.details ?? []).map((d) => detail(d, spec, fields)),
  });
}

/** The text of any thrown value, for embedding in an API error message. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function malformedRequest(message: string): ApiError {
  return apiError('malformedRequest', { message });
}

/** Anything that is not already an ApiError: daprd's generic fallback. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return apiError('unknown', { message: errorText(error) });
}
