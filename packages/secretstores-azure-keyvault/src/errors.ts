import {
  DaprkitError,
  ErrorCode,
  InvalidArgumentError,
  NotFoundError,
  toDaprkitError,
  UnavailableError,
} from '@daprkit/component-sdk';

/** What @azure/core-rest-pipeline's RestError and @azure/identity's errors carry that we look at. */
interface AzureErrorShape {
  name?: string;
  message?: string;
  statusCode?: number;
  code?: string;
}

const IDENTITY_ERRORS = new Set([
  'AuthenticationError',
  'AuthenticationRequiredError',
  'AggregateAuthenticationError',
  'CredentialUnavailableError',
]);

export function isAuthenticationFailure(error: unknown): boolean {
  return IDENTITY_ERRORS.has((error as AzureErrorShape)?.name ?? '');
}

export function isNotFound(error: unknown): boolean {
  return (error as AzureErrorShape)?.statusCode === 404;
}

/** The first line of an Azure message: identity errors append long troubleshooting text. */
export function azureErrorSummary(error: unknown): string {
  const e = (error ?? {}) as AzureErrorShape;
  return (e.message ?? String(error)).split('\n')[0]!.trim();
}

/**
 * Maps an Azure SDK failure about `subject` (e.g. `secret db-password`) to the SDK's typed errors. Messages
 * come from Key Vault or Entra ID and never contain secret values.
 */
export function keyVaultError(error: unknown, subject: string): DaprkitError {
  if (DaprkitError.isInstance(error)) return error;
  const e = (error ?? {}) as AzureErrorShape;
  if (e.name === 'AbortError')
    return new UnavailableError(`${subject}: request aborted (${azureErrorSummary(e)})`, { cause: error });
  if (isAuthenticationFailure(error)) {
    return new DaprkitError(ErrorCode.Unauthenticated, `${subject}: authentication failed: ${azureErrorSummary(e)}`, {
      cause: error,
    });
  }
  switch (e.statusCode) {
    case 404:
      return new NotFoundError(`${subject} not found`, { cause: error });
    case 400:
      return new InvalidArgumentError(`${subject}: ${azureErrorSummary(e)}`, { cause: error });
    case 401:
      return new DaprkitError(ErrorCode.Unauthenticated, `${subject}: ${azureErrorSummary(e)}`, { cause: error });
    case 403:
      return new DaprkitError(
        ErrorCode.PermissionDenied,
        `${subject}: access denied by Key Vault: ${azureErrorSummary(e)}`,
        {
          cause: error,
        },
      );
  }
  // No status (connection, DNS, TLS), throttling and server errors may pass: retryable.
  if (e.statusCode === undefined || e.statusCode === 429 || e.statusCode >= 500) {
    return new UnavailableError(`${subject}: Key Vault unavailable: ${azureErrorSummary(e)}`, { cause: error });
  }
  return toDaprkitError(error);
}
