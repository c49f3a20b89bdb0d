/** Turns settings into a ready mysql2 pool on `schemaName` (creating the database first). */
import { readFile } from 'node:fs/promises';
import { InvalidMetadataError } from '@daprkit/component-sdk';
import mysql, { type ConnectionOptions, type Pool, type SslOptions } from 'mysql2/promise';
import { connectError } from './driver-errors.js';
import type { GoMySqlDsn } from '@daprkit/mysql-common';
import type { MySqlSettings } from './metadata.js';

/** daprd gives Init 5 s; failing inside that window lets us say why. */
const MAX_INIT_CONNECT_MS = 5_000;

async function sslOptions(dsn: GoMySqlDsn, pemPath: string | undefined): Promise<SslOptions | undefined> {
  switch (dsn.tls.mode) {
    case 'off':
      return undefined;
    case 'verify':
      return { rejectUnauthorized: true, verifyIdentity: true };
    case 'skip-verify':
      return { rejectUnauthorized: false };
    case 'named': {
      // Contrib registers pemPath as the only named TLS config, 'custom'.
      if (dsn.tls.name !== 'custom') {
        throw new InvalidMetadataError(
          'connectionString',
          `unknown TLS config '${dsn.tls.name}' (only 'custom', with pemPath, exists)`,
        );
      }
      if (pemPath === undefined)
        throw new InvalidMetadataError('pemPath', 'is required when the connectionString has tls=custom');
      const ca = await readFile(pemPath, 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new InvalidMetadataError('pemPath', `cannot read '${pemPath}' (${err.code ?? err.message})`);
      });
      return { ca, rejectUnauthorized: true, verifyIdentity: true, minVersion: 'TLSv1.2' };
    }
  }
}

function baseOptions(dsn: GoMySqlDsn, ssl: SslOptions | undefined): ConnectionOptions {
  const address =
    dsn.address.net === 'unix'
      ? { socketPath: dsn.address.socketPath }
      : { host: dsn.address.host, port: dsn.address.port };
  return {
    ...address,
    user: dsn.user,
    password: dsn.password,
    ...(dsn.charset !== undefined && { charset: dsn.charset }),
    ...(ssl !== undefined && { ssl }),
    compress: dsn.compress,
    enableCleartextPlugin: dsn.allowCleartextPasswords,
    connectTimeout: dsn.connectTimeoutMs ?? MAX_INIT_CONNECT_MS,
  };
}

export async function openPool(settings: MySqlSettings): Promise<Pool> {
  const { dsn } = settings;
  const base = baseOptions(dsn, await sslOptions(dsn, settings.pemPath));
  try {
    const bootstrap = await mysql.createConnection({
      ...base,
      ...(dsn.database !== undefined && { database: dsn.database }),
      connectTimeout: Math.min(base.connectTimeout!, MAX_INIT_CONNECT_MS),
    });
    try {
      await bootstrap.query(`CREATE DATABASE IF NOT EXISTS \`${settings.schemaName}\``);
    } finally {
      await bootstrap.end().catch(() => bootstrap.destroy());
    }
  } catch (err) {
    throw connectError(err, dsn);
  }

  const pool = mysql.createPool({
    ...base,
    database: settings.schemaName,
    // How mysql2 converts dates; the session zone, which TIMESTAMP arithmetic uses, is pinned to UTC below.
    timezone: 'Z',
    // Conditional upserts report "0 rows affected" for an untouched row only without CLIENT_FOUND_ROWS.
    flags: ['-FOUND_ROWS'],
    // mysql2 parses JSON columns (MySQL 8, and MariaDB's JSON alias) by default; values must come back as their text.
    jsonStrings: true,
    connectionLimit: 10,
  });
  pool.pool.on('connection', (connection) => {
    // Queued before any statement of whoever acquires this new connection; a connection that cannot be switched
    // to UTC must not serve TTL arithmetic, so it is dropped: its queued statements fail rather than run in the wrong zone.
    connection.query("SET time_zone = '+00:00'", (err) => {
      if (err) connection.destroy();
    });
  });
  return pool;
}
