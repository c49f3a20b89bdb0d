import { field, InvalidMetadataError, type Metadata, parseMetadata } from '@daprkit/component-sdk';
import { type GoMySqlDsn, parseGoMySqlDsn } from '@daprkit/mysql-common';

const DEFAULT_TIMEOUT_SECONDS = 20;

/**
 * Component metadata (YAML `spec.metadata`), names and defaults as in contrib's state.mysql. Unknown keys are
 * ignored: daprd passes its own (`keyPrefix`, `actorStateStore`, ...).
 */
export const mysqlStateStoreMetadataSchema = {
  connectionString: field.string({
    required: true,
    secret: true,
    description: "Go-MySQL DSN, e.g. 'user:password@tcp(host:3306)/?tls=custom'; must contain '/'.",
  }),
  schemaName: field.string({ default: 'dapr_state_store', description: 'Database; created if missing.' }),
  tableName: field.string({ default: 'state', description: 'State table; created if missing.' }),
  metadataTableName: field.string({ default: 'dapr_metadata', description: 'Holds the garbage collector marker.' }),
  timeoutInSeconds: field.int({
    default: DEFAULT_TIMEOUT_SECONDS,
    description: 'Per-operation timeout; values <= 0 mean 20.',
  }),
  cleanupInterval: field.duration({
    default: 3_600_000,
    description: 'How often expired rows are deleted; <= 0 disables.',
  }),
  pemPath: field.string({ description: "CA certificate (PEM) for the DSN's tls=custom." }),
};

export interface MySqlSettings {
  dsn: GoMySqlDsn;
  schemaName: string;
  tableName: string;
  metadataTableName: string;
  timeoutMs: number;
  cleanupIntervalMs: number;
  pemPath: string | undefined;
}

/** Identifiers are spliced into SQL, so only the characters contrib allows get through. */
function identifier(name: string, value: string): string {
  if (!/^[A-Za-z0-9_]+$/.test(value))
    throw new InvalidMetadataError(name, `'${value}' may only contain letters, digits and '_'`);
  return value;
}

export function parseSettings(properties: Metadata): MySqlSettings {
  const metadata = parseMetadata(properties, mysqlStateStoreMetadataSchema);
  // The schema defaults guarantee values; parseMetadata's type does not carry defaults through yet.
  const timeoutInSeconds = metadata.timeoutInSeconds!;
  return {
    dsn: parseGoMySqlDsn(metadata.connectionString),
    schemaName: identifier('schemaName', metadata.schemaName!),
    tableName: identifier('tableName', metadata.tableName!),
    metadataTableName: identifier('metadataTableName', metadata.metadataTableName!),
    timeoutMs: (timeoutInSeconds > 0 ? timeoutInSeconds : DEFAULT_TIMEOUT_SECONDS) * 1000,
    cleanupIntervalMs: metadata.cleanupInterval!,
    pemPath: metadata.pemPath,
  };
}
