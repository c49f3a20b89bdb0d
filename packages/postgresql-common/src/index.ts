/**
 * @daprkit/postgresql-common — the PostgreSQL connection settings daprkit's PostgreSQL components share:
 * contrib's `connectionString`/`url` and `host`/`port`/... metadata, libpq DSN parsing (URL and key=value forms),
 * libpq `sslmode` → TLS options, and a redacted target for messages.
 */
export {
  connectionParamsOf,
  type PostgresConnectionMetadata,
  postgresConnectionMetadataSchema,
} from './connection.js';
export { describeTarget, type LibpqParams, parseDsn, toPoolConfig } from './dsn.js';
