/** Component metadata of contrib's `bindings.mysql` (yaml and code agree). */
import { field, InvalidMetadataError, type Metadata, parseMetadata } from '@daprkit/component-sdk';
import { type GoMySqlDsn, parseGoMySqlDsn } from '@daprkit/mysql-common';

export const mysqlBindingMetadataSchema = {
  url: field.string({
    secret: true,
    description: "Go-MySQL DSN, e.g. 'user:password@tcp(host:3306)/db?tls=custom' (required)",
  }),
  pemPath: field.string({ description: "CA certificate (PEM) file for the DSN's tls=custom" }),
  maxIdleConns: field.int({ default: 0, description: 'idle connections kept in the pool (applied when > 0)' }),
  maxOpenConns: field.int({ default: 0, description: 'open connections at most (applied when > 0; else 10)' }),
  connMaxLifetime: field.duration({
    default: 0,
    description: 'accepted; mysql2 pools have no connection lifetime (connections live until idle or broken)',
  }),
  connMaxIdleTime: field.duration({ default: 0, description: 'close connections idle this long (applied when > 0)' }),
};

export interface MySqlBindingSettings {
  dsn: GoMySqlDsn;
  pemPath: string | undefined;
  maxIdleConns: number;
  maxOpenConns: number;
  connMaxIdleTimeMs: number;
}

export function readSettings(properties: Metadata): MySqlBindingSettings {
  const m = parseMetadata(properties, mysqlBindingMetadataSchema);
  if (m.url === undefined) throw new InvalidMetadataError('url', 'missing MySql connection string');
  let dsn: GoMySqlDsn;
  try {
    dsn = parseGoMySqlDsn(m.url, 'url');
  } catch (err) {
    // Never echo the DSN: it holds the password.
    throw new InvalidMetadataError('url', `illegal Data Source Name (DSN) specified by url (${reasonOf(err)})`);
  }
  return {
    dsn,
    pemPath: m.pemPath,
    maxIdleConns: m.maxIdleConns,
    maxOpenConns: m.maxOpenConns,
    connMaxIdleTimeMs: m.connMaxIdleTime,
  };
}

function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^metadata 'url':?\s*/, '');
}
