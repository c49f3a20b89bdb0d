/**
 * The connection metadata contrib's PostgreSQL components share (`common/authentication/postgresql/metadata.go`):
 * `connectionString` (alias `url`) plus the `host`/`port`/... overrides, merged into libpq parameters the same way
 * for the state store and the binding.
 */
import { field, InvalidMetadataError } from '@daprkit/component-sdk';
import type { LibpqParams } from './dsn.js';
import { parseDsn } from './dsn.js';

export const postgresConnectionMetadataSchema = {
  connectionString: field.string({
    aliases: ['url'],
    secret: true,
    description: 'libpq DSN: postgres:// URL or key=value list (required unless host/user/... are given)',
  }),
  host: field.string({ description: 'overrides the DSN host' }),
  hostaddr: field.string({ description: 'numeric address to connect to (wins over host)' }),
  port: field.int({ min: 1, max: 65535, description: 'overrides the DSN port' }),
  database: field.string({ description: 'overrides the DSN database' }),
  user: field.string({ description: 'overrides the DSN user' }),
  password: field.string({ secret: true, description: 'overrides the DSN password' }),
  sslRootCert: field.string({ description: 'path of a PEM CA bundle (libpq sslrootcert)' }),
};

/** The parsed connection fields (what `parseMetadata` returns for the schema above). */
export interface PostgresConnectionMetadata {
  connectionString?: string | undefined;
  host?: string | undefined;
  hostaddr?: string | undefined;
  port?: number | undefined;
  database?: string | undefined;
  user?: string | undefined;
  password?: string | undefined;
  sslRootCert?: string | undefined;
}

/** The DSN with the individual fields laid over it; nothing at all → an error naming `connectionString`. */
export function connectionParamsOf(m: PostgresConnectionMetadata): LibpqParams {
  const overrides: LibpqParams = {};
  const overlay = {
    host: m.host,
    hostaddr: m.hostaddr,
    port: m.port,
    dbname: m.database,
    user: m.user,
    password: m.password,
    sslrootcert: m.sslRootCert,
  };
  for (const [key, value] of Object.entries(overlay)) if (value !== undefined) overrides[key] = String(value);
  if (m.connectionString === undefined && Object.keys(overrides).length === 0) {
    throw new InvalidMetadataError('connectionString', 'is required (or give host/user/password/... individually)');
  }
  return { ...parseDsn(m.connectionString ?? ''), ...overrides };
}
