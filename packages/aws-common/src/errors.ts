/** AWS SDK v3 failures mapped to component-sdk's typed errors. AWS messages never carry credential values. */
import { DaprkitError, ErrorCode, InvalidArgumentError, NotFoundError, UnavailableError } from '@daprkit/component-sdk';

/** What SDK v3 service exceptions (and client-side errors) carry that we look at. */
export interface AwsErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $fault?: 'client' | 'server';
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

const NOT_FOUND = new Set(['ResourceNotFoundException', 'NoSuchKey', 'NoSuchBucket', 'NotFound', 'NotFoundException']);
const NOT_FOUND_SQS_SNS = new Set(['AWS.SimpleQueueService.NonExistentQueue', 'QueueDoesNotExist']);
const DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'AuthorizationError', 'AuthorizationErrorException']);
const UNAUTHENTICATED = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'ExpiredTokenException',
  'ExpiredToken',
  'CredentialsProviderError',
]);
const THROTTLED = new Set(['ThrottlingException', 'Throttling', 'ProvisionedThroughputExceededException', 'SlowDown']);

/** `Name: message` (first line), for error texts. */
export function awsErrorSummary(error: unknown): string {
  const e = (error ?? {}) as AwsErrorShape;
  const message = (e.message ?? String(error)).split('\n')[0]!.trim();
  const name = e.name ?? 'Error';
  return message === '' || message === name ? name : `${name}: ${message}`;
}

export function awsErrorName(error: unknown): string | undefined {
  return (error as AwsErrorShape | undefined)?.name;
}

export function awsStatusCode(error: unknown): number | undefined {
  return (error as AwsErrorShape | undefined)?.$metadata?.httpStatusCode;
}

/** True for network-level failures (no HTTP answer): refused, reset, DNS, timeouts. */
export function isAwsNetworkError(error: unknown): boolean {
  const e = (error ?? {}) as AwsErrorShape & { code?: string };
  if (e.$metadata?.httpStatusCode !== undefined) return false;
  return (
    e.name === 'TimeoutError' ||
    e.name === 'AbortError' ||
    /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH)$/.test(e.code ?? '') ||
    /ECONNREFUSED|ECONNRESET|socket hang up/.test(e.message ?? '')
  );
}

/** Maps an AWS failure about `subject` (e.g. `dynamodb GetItem`) to a typed error whose text names both. */
export function toAwsError(error: unknown, subject: string): DaprkitError {
  if (DaprkitError.isInstance(error)) return error;
  const name = awsErrorName(error) ?? '';
  const status = awsStatusCode(error);
  const text = `${subject}: ${awsErrorSummary(error)}`;
  const options = { cause: error };
  if (NOT_FOUND.has(name) || NOT_FOUND_SQS_SNS.has(name)) return new NotFoundError(text, options);
  if (DENIED.has(name) || status === 403) return new DaprkitError(ErrorCode.PermissionDenied, text, options);
  if (UNAUTHENTICATED.has(name) || status === 401) return new DaprkitError(ErrorCode.Unauthenticated, text, options);
  if (THROTTLED.has(name) || status === 429 || (status !== undefined && status >= 500) || isAwsNetworkError(error)) {
    return new UnavailableError(text, options);
  }
  if (status === undefined) return new UnavailableError(text, options);
  if (status === 400 || status === 404 || status === 409 || status === 412) {
    return status === 404 ? new NotFoundError(text, options) : new InvalidArgumentError(text, options);
  }
  return new DaprkitError(ErrorCode.Unknown, text, options);
}
