/** Driver failures in the SDK's terms, so daprd can tell "retry" from "bad request". */
import { DaprkitError, ErrorCode, InvalidMetadataError, UnavailableError } from '@daprkit/component-sdk';
import type { PostgresSettings } from './metadata.js';

// SQLSTATE classes worth a retry: connection exceptions, serialization failures/deadlocks, server shutdown.
const TRANSIENT_SQLSTATE = /^(08|40|57P0[1-3])/;
const TRANSIENT_NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

/** Init could not connect: names the field and the redacted target, never the password. */
export function connectError(settings: PostgresSettings, err: unknown): InvalidMetadataError {
  let reason = err instanceof Error ? err.message || String((err as { code?: unknown }).code ?? err.name) : String(err);
  if (settings.password) reason = reason.replaceAll(settings.password, '***');
  return new InvalidMetadataError('connectionString', `cannot connect to ${settings.target}: ${reason}`);
}

/** Maps timeouts and transient failures to SDK errors; our own errors and anything else pass through. */
export function classify(err: unknown): unknown {
  if (DaprkitError.isInstance(err) || !(err instanceof Error)) return err;
  const code = String((err as { code?: unknown }).code ?? '');
  if (code === '57014' || /timeout/i.test(err.message)) {
    return new DaprkitError(ErrorCode.DeadlineExceeded, `state.postgresql: ${err.message}`, {
      cause: err,
      retryable: true,
    });
  }
  if (TRANSIENT_SQLSTATE.test(code) || TRANSIENT_NETWORK.has(code) || /Connection terminated/i.test(err.message)) {
    return new UnavailableError(`state.postgresql: ${err.message}`, { cause: err });
  }
  return err;
}
