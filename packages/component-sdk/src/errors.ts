/**
 * Typed errors. Components throw these; the server maps them to gRPC status + details in one place
 * (server/status.ts), and the client maps statuses back the way daprd reads them.
 */

/** gRPC-aligned error codes (numeric values are the gRPC status codes). */
export const ErrorCode = {
  Cancelled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const marker = Symbol.for('@daprkit/component-sdk/error');

export interface DaprkitErrorOptions {
  cause?: unknown;
  /** Whether retrying the same call may succeed (transient backend trouble). */
  retryable?: boolean;
}

/** Base class. `isInstance` works across duplicated copies of the SDK. */
export class DaprkitError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly [marker] = true;

  constructor(code: ErrorCode, message: string, options: DaprkitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? code === ErrorCode.Unavailable;
  }

  static isInstance(value: unknown): value is DaprkitError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}

export type ETagErrorKind = 'mismatch' | 'invalid';

/** Optimistic-concurrency failure. daprd answers 409 (mismatch) or 400 (invalid). */
export class ETagError extends DaprkitError {
  readonly kind: ETagErrorKind;
  constructor(kind: ETagErrorKind, message: string, options?: DaprkitErrorOptions) {
    super(kind === 'mismatch' ? ErrorCode.FailedPrecondition : ErrorCode.InvalidArgument, message, options);
    this.kind = kind;
  }
}

export class ETagMismatchError extends ETagError {
  constructor(message = 'etag mismatch', options?: DaprkitErrorOptions) {
    super('mismatch', message, options);
  }
}

export class ETagInvalidError extends ETagError {
  constructor(message = 'invalid etag', options?: DaprkitErrorOptions) {
    super('invalid', message, options);
  }
}

export function isETagError(value: unknown, kind?: ETagErrorKind): value is ETagError {
  return DaprkitError.isInstance(value) && value instanceof ETagError && (kind === undefined || value.kind === kind);
}

/** A bulk delete affected a different number of rows than expected. */
export class BulkDeleteRowMismatchError extends DaprkitError {
  constructor(
    readonly expected: number,
    readonly affected: number,
    options?: DaprkitErrorOptions,
  ) {
    super(ErrorCode.Internal, `delete affected only ${affected} rows, expected ${expected}`, options);
  }
}

/** One failed item of a bulk set/delete. */
export class BulkStoreError extends DaprkitError {
  constructor(
    readonly key: string,
    override readonly cause: unknown,
  ) {
    super(
      DaprkitError.isInstance(cause) ? cause.code : ErrorCode.Unknown,
      `failed on key '${key}': ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }

  /** The wrapped ETag error, if that is what failed. */
  etagError(): ETagError | undefined {
    return isETagError(this.cause) ? this.cause : undefined;
  }
}

/** Aggregate of per-item failures; the items not listed succeeded. */
export class BulkError extends DaprkitError {
  constructor(readonly errors: BulkStoreError[]) {
    super(pickBulkCode(errors), errors.map((e) => e.message).join('; '));
  }
}

function pickBulkCode(errors: BulkStoreError[]): ErrorCode {
  // An ETag conflict dominates, so a single-status transport (the pluggable protocol) reports it as such.
  const etag = errors.find((e) => e.etagError() !== undefined);
  return (etag ?? errors[0])?.code ?? ErrorCode.Unknown;
}

export class NotFoundError extends DaprkitError {
  constructor(message: string, options?: DaprkitErrorOptions) {
    super(ErrorCode.NotFound, message, options);
  }
}

/** Component metadata (configuration) is missing or malformed; names the field. */
export class InvalidMetadataError extends DaprkitError {
  constructor(
    readonly field: string,
    message: string,
    options?: DaprkitErrorOptions,
  ) {
    super(ErrorCode.InvalidArgument, `metadata '${field}': ${message}`, options);
  }
}

/** A request argument is malformed (e.g. `ttlInSeconds: "foo"`). */
/**
 * The Init error for a path named in metadata that cannot be used. Whoever can call Init (any local user who can
 * reach a plugin socket) must not learn whether an arbitrary path exists, is readable or what it holds, so every
 * failure gives the same answer: the field and what it must name. The reason (an errno code, "not JSON at position
 * N"; never file contents) goes to `logger` at debug level for the operator.
 */
export function unusablePathError(
  field: string,
  requirement: string,
  reason: string,
  logger?: { debug(message: string, fields?: Record<string, unknown>): void },
): InvalidMetadataError {
  logger?.debug(`metadata field ${field} names a path that cannot be used`, { field, reason });
  return new InvalidMetadataError(field, `${requirement} (the reason is logged at debug level)`);
}

/** An errno code (ENOENT, EACCES, ...) or the message, for unusablePathError's debug line. */
export function errnoOf(error: unknown): string {
  return (error as NodeJS.ErrnoException)?.code ?? (error instanceof Error ? error.message : String(error));
}

export class InvalidArgumentError extends DaprkitError {
  constructor(message: string, options?: DaprkitErrorOptions) {
    super(ErrorCode.InvalidArgument, message, options);
  }
}

export class UnimplementedError extends DaprkitError {
  constructor(message: string, options?: DaprkitErrorOptions) {
    super(ErrorCode.Unimplemented, message, options);
  }
}

/** Transient backend trouble: retrying may succeed. */
export class UnavailableError extends DaprkitError {
  constructor(message: string, options?: DaprkitErrorOptions) {
    super(ErrorCode.Unavailable, message, { retryable: true, ...options });
  }
}

/** The component (or instance) is closed or not initialised: permanent for this call. */
export class FailedPreconditionError extends DaprkitError {
  constructor(message: string, options?: DaprkitErrorOptions) {
    super(ErrorCode.FailedPrecondition, message, options);
  }
}

/**
 * A structured pass-through error ("kit error"): daprd keeps its gRPC code and answers HTTP `httpCode`,
 * with `errorCode` = `tag` (or `reason`). Recognised on state RPCs only.
 */
export class KitError extends DaprkitError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly httpCode: number,
    readonly reason: string,
    readonly domain = 'dapr.io',
    readonly tag = '',
    options?: DaprkitErrorOptions,
  ) {
    super(code, message, options);
  }
}

/** Turns any thrown value into a DaprkitError (unknown errors become code Unknown, message kept). */
export function toDaprkitError(value: unknown): DaprkitError {
  if (DaprkitError.isInstance(value)) return value;
  if (value instanceof Error) return new DaprkitError(ErrorCode.Unknown, value.message, { cause: value });
  return new DaprkitError(ErrorCode.Unknown, String(value));
}
