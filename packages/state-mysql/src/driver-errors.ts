/** mysql2 errors → the SDK's typed errors. Messages never carry the password or the DSN. */
import { type DaprkitError, InvalidMetadataError, UnavailableError } from '@daprkit/component-sdk';
import { describeAddress, type GoMySqlDsn } from '@daprkit/mysql-common';

/** Failures that a retry (or a new pooled connection) may cure. */
const TRANSIENT = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'ENOENT', // unix socket not there (yet)
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
]);
const ACCESS_DENIED = new Set(['ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR']);

const codeOf = (err: unknown) => String((err as { code?: unknown }).code ?? '');
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

function redact(text: string, secret: string): string {
  return secret === '' ? text : text.split(secret).join('***');
}

/** Init could not reach or log in to the server: names `connectionString` and the address, not the credentials. */
export function connectError(err: unknown, dsn: GoMySqlDsn): DaprkitError {
  const where = describeAddress(dsn.address);
  const code = codeOf(err);
  if (ACCESS_DENIED.has(code)) {
    return new InvalidMetadataError('connectionString', `access denied for user '${dsn.user}' at ${where} (${code})`);
  }
  const reason = TRANSIENT.has(code) ? code : redact(messageOf(err), dsn.password);
  return new UnavailableError(`metadata 'connectionString': cannot connect to ${where} (${reason})`);
}

/** Transient trouble becomes a retryable UnavailableError; anything else (SQL errors) passes through. */
export function operationError(err: unknown): unknown {
  if (!TRANSIENT.has(codeOf(err))) return err;
  return new UnavailableError(`state.mysql: ${messageOf(err)}`, { cause: err });
}
