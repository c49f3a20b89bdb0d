/** Component metadata of contrib's `bindings.postgres` (names, aliases and defaults), validated into a pool config. */
import { availableParallelism } from 'node:os';
import { field, InvalidMetadataError, type Metadata, parseMetadata } from '@daprkit/component-sdk';
import {
  connectionParamsOf,
  describeTarget,
  postgresConnectionMetadataSchema,
  toPoolConfig,
} from '@daprkit/postgresql-common';
import type { PoolConfig } from 'pg';

/** Init's own bound, below daprd's 5 s component init timeout, so our error (not daprd's) is the one reported. */
export const MAX_CONNECT_TIMEOUT_MS = 4_500;

export const postgresBindingMetadataSchema = {
  ...postgresConnectionMetadataSchema,
  timeout: field.duration({
    aliases: ['timeoutInSeconds'],
    default: 20_000,
    min: 1_000,
    description: 'connect + ping timeout at init (must be at least 1s)',
  }),
  maxConns: field.int({ min: 0, description: 'pool size; 0 = max(4, CPUs)' }),
  connectionMaxIdleTime: field.duration({ description: 'close pooled connections idle this long' }),
  queryExecMode: field.enum({
    values: ['cache_statement', 'cache_describe', 'describe_exec', 'exec', 'simple_protocol'],
    description: 'accepted; node-postgres never caches named statements, so every mode is PgBouncer-safe',
  }),
  useAzureAD: field.bool({ default: false, description: 'not supported yet' }),
  useAWSIAM: field.bool({
    default: false,
    description: 'accepted and ignored, as in contrib (its binding never enables AWS IAM)',
  }),
};

export interface PostgresBindingSettings {
  pool: PoolConfig;
  /** Redacted connection target for messages. */
  target: string;
  /** Scrubbed from driver messages. */
  password: string | undefined;
  connectTimeoutMs: number;
}

export function readSettings(properties: Metadata): PostgresBindingSettings {
  const m = parseMetadata(properties, postgresBindingMetadataSchema);
  if (m.useAzureAD)
    throw new InvalidMetadataError('useAzureAD', 'is not supported yet by @daprkit/bindings-postgresql');
  const params = connectionParamsOf(m);
  const dsnConnectTimeoutMs = Number(params.connect_timeout ?? 0) * 1000;
  const connectTimeoutMs = Math.min(
    m.timeout,
    MAX_CONNECT_TIMEOUT_MS,
    dsnConnectTimeoutMs > 0 ? dsnConnectTimeoutMs : Infinity,
  );
  return {
    pool: {
      ...toPoolConfig(params),
      max: m.maxConns || Math.max(4, availableParallelism()),
      idleTimeoutMillis: m.connectionMaxIdleTime,
      connectionTimeoutMillis: connectTimeoutMs,
    },
    target: describeTarget(params),
    password: params.password,
    connectTimeoutMs,
  };
}
