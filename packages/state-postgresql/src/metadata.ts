/**
 * Component metadata of `state.postgresql` v1 (contrib names, aliases and defaults), validated into settings.
 */
import { availableParallelism } from 'node:os';
import { field, InvalidMetadataError, type Metadata, type MetadataOf, parseMetadata } from '@daprkit/component-sdk';
import {
  connectionParamsOf,
  describeTarget,
  postgresConnectionMetadataSchema,
  toPoolConfig,
} from '@daprkit/postgresql-common';
import type { PoolConfig } from 'pg';

/** How long init may wait for the first connection, so daprd's component init timeout is never the one to fire. */
export const MAX_CONNECT_TIMEOUT_MS = 5_000;

export const postgresStateStoreMetadataSchema = {
  ...postgresConnectionMetadataSchema,
  timeout: field.duration({
    aliases: ['timeoutInSeconds'],
    default: 20_000,
    min: 1_000,
    description: 'per-operation timeout',
  }),
  tableName: field.string({ default: 'state', description: 'state table, may be schema-qualified' }),
  metadataTableName: field.string({ default: 'dapr_metadata', description: 'migration/GC bookkeeping table' }),
  cleanupInterval: field.duration({
    aliases: ['cleanupIntervalInSeconds'],
    default: 3_600_000,
    description: 'expired-row collector interval; <= 0 disables it',
  }),
  maxConns: field.int({ min: 0, description: 'pool size; 0 = max(4, CPUs)' }),
  connectionMaxIdleTime: field.duration({ description: 'close pooled connections idle this long' }),
  queryExecMode: field.enum({
    values: ['cache_statement', 'cache_describe', 'describe_exec', 'exec', 'simple_protocol'],
    description: 'exec/simple_protocol: no named prepared statements (for PgBouncer)',
  }),
  useAzureAD: field.bool({ default: false, description: 'not supported yet' }),
  useAWSIAM: field.bool({ default: false, description: 'not supported yet' }),
};

export type PostgresStateStoreMetadata = MetadataOf<typeof postgresStateStoreMetadataSchema>;

export interface PostgresSettings {
  pool: PoolConfig;
  /** Redacted connection target for messages. */
  target: string;
  /** Scrubbed from driver messages before they are surfaced. */
  password?: string;
  tableName: string;
  metadataTableName: string;
  cleanupIntervalMs: number;
  /** Named (server-side prepared) statements, unless a PgBouncer-friendly exec mode was asked for. */
  namedStatements: boolean;
}

/** Unquoted identifiers, so names fold to lower case exactly as contrib's SQL does. */
const IDENTIFIER = /^(?:[A-Za-z_][A-Za-z0-9_]*\.)?[A-Za-z_][A-Za-z0-9_]*$/;

function identifier(value: string, name: string): string {
  if (!IDENTIFIER.test(value)) {
    throw new InvalidMetadataError(
      name,
      `'${value}' is not a valid table name (letters, digits, '_', optional 'schema.')`,
    );
  }
  return value;
}

export function readSettings(properties: Metadata): PostgresSettings {
  const m = parseMetadata(properties, postgresStateStoreMetadataSchema);
  // parseMetadata fills these defaults, but its return type does not carry that through.
  const timeoutMs = m.timeout;
  for (const name of ['useAzureAD', 'useAWSIAM'] as const) {
    if (m[name]) throw new InvalidMetadataError(name, 'is not supported yet by @daprkit/state-postgresql');
  }
  const params = connectionParamsOf(m);
  // libpq's connect_timeout (seconds, 0 = none) may only shorten the bound.
  const dsnConnectTimeoutMs = Number(params.connect_timeout ?? 0) * 1000;
  const namedStatements = m.queryExecMode !== 'exec' && m.queryExecMode !== 'simple_protocol';
  return {
    pool: {
      ...toPoolConfig(params),
      max: m.maxConns || Math.max(4, availableParallelism()),
      idleTimeoutMillis: m.connectionMaxIdleTime,
      connectionTimeoutMillis: Math.min(
        timeoutMs,
        MAX_CONNECT_TIMEOUT_MS,
        dsnConnectTimeoutMs > 0 ? dsnConnectTimeoutMs : Infinity,
      ),
      // The server cancels cleanly; the client-side bound only catches a dead network. PgBouncer rejects
      // statement_timeout as a startup parameter, so the PgBouncer modes rely on the client-side bound alone.
      ...(namedStatements
        ? { statement_timeout: timeoutMs, query_timeout: timeoutMs + 1_000 }
        : { query_timeout: timeoutMs }),
    },
    target: describeTarget(params),
    password: params.password,
    tableName: identifier(m.tableName, 'tableName'),
    metadataTableName: identifier(m.metadataTableName, 'metadataTableName'),
    cleanupIntervalMs: m.cleanupInterval,
    namedStatements,
  };
}
