/** Turns settings into a ready mysql2 pool on `schemaName` (creating the database first). */
import { baseOptions, MAX_INIT_CONNECT_MS, sslOptions } from '@daprkit/mysql-common';
import mysql, { type Pool } from 'mysql2/promise';
import { connectError } from './driver-errors.js';
import type { MySqlSettings } from './metadata.js';

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
