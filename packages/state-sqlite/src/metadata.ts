/**
 * Component metadata of `state.sqlite` (contrib names, aliases and defaults), validated into settings.
 */
import { field, InvalidMetadataError, type Metadata, type MetadataOf, parseMetadata } from '@daprkit/component-sdk';
import { type OpenTarget, parseConnectionString } from './connection-string.js';

export const sqliteStateStoreMetadataSchema = {
  connectionString: field.string({
    aliases: ['url'],
    description: "database file path, 'file:' URI (with '_pragma=…', 'mode=ro', …) or ':memory:' (required)",
  }),
  timeout: field.duration({
    aliases: ['timeoutInSeconds'],
    default: 20_000,
    description: 'per-operation timeout (at least 1s); bounds how long an operation waits for a locked database',
  }),
  busyTimeout: field.duration({
    default: 2_000,
    description: 'how long to wait for a lock held by another connection (<= 0: fail at once)',
  }),
  disableWAL: field.bool({
    default: false,
    description: "use the rollback journal instead of WAL (for network filesystems); ignored for ':memory:'",
  }),
  tableName: field.string({ default: 'state', description: 'state table ([A-Za-z0-9_]+)' }),
  metadataTableName: field.string({
    default: 'metadata',
    description: 'migration level and last-cleanup bookkeeping table ([A-Za-z0-9_]+)',
  }),
  cleanupInterval: field.duration({
    aliases: ['cleanupIntervalInSeconds'],
    default: 0,
    description: 'expired-row collector interval; 0 (the default) disables it',
  }),
};

export type SqliteStateStoreMetadata = MetadataOf<typeof sqliteStateStoreMetadataSchema>;

export interface SqliteSettings {
  target: OpenTarget;
  timeoutMs: number;
  busyTimeoutMs: number;
  tableName: string;
  metadataTableName: string;
  cleanupIntervalMs: number;
}

const IDENTIFIER = /^[A-Za-z0-9_]+$/;

function identifier(value: string, name: string): string {
  if (!IDENTIFIER.test(value)) throw new InvalidMetadataError(name, `invalid identifier: '${value}'`);
  return value;
}

export function readSettings(properties: Metadata): SqliteSettings {
  const m = parseMetadata(properties, sqliteStateStoreMetadataSchema);
  if (m.connectionString === undefined || m.connectionString === '') {
    throw new InvalidMetadataError('connectionString', 'missing connection string');
  }
  if (m.timeout < 1_000)
    throw new InvalidMetadataError('timeout', "invalid value for 'timeout': must be greater than 1s");
  return {
    target: parseConnectionString(m.connectionString, m.disableWAL),
    timeoutMs: m.timeout,
    // contrib truncates to milliseconds.
    busyTimeoutMs: Math.max(0, Math.trunc(m.busyTimeout)),
    tableName: identifier(m.tableName, 'tableName'),
    metadataTableName: identifier(m.metadataTableName, 'metadataTableName'),
    cleanupIntervalMs: m.cleanupInterval,
  };
}
