/** The MariaDB/MySQL under test (`bash scripts/services.sh up mysql`): visible skip locally without it, failure in CI. */
import { randomUUID } from 'node:crypto';
import { baseOptions, parseGoMySqlDsn } from '@daprkit/mysql-common';
import mysql from 'mysql2/promise';
import { describe, it } from 'vitest';

const SERVER_DSN = process.env.DAPRKIT_MYSQL_DSN ?? 'daprkit:daprkit@tcp(127.0.0.1:3306)/';
/** The binding's `url`: the server DSN on the `daprkit` database. */
export const MYSQL_URL = SERVER_DSN.replace(/\/(\?|$)/, '/daprkit$1');

export async function probeMySql(): Promise<void> {
  const connection = await mysql.createConnection({
    ...baseOptions(parseGoMySqlDsn(MYSQL_URL), undefined),
    connectTimeout: 3000,
  });
  try {
    await connection.query('SELECT 1');
  } finally {
    await connection.end();
  }
}

const unavailable = await probeMySql().then(
  () => undefined,
  (err: unknown) => `MySQL/MariaDB unreachable (${(err as { code?: string }).code ?? String(err)})`,
);

export function describeWithMySql(name: string, body: () => void): void {
  if (unavailable === undefined) describe(name, body);
  else if (process.env.CI === 'true')
    describe(name, () => it('has a MySQL/MariaDB server', () => Promise.reject(new Error(unavailable))));
  else describe.skip(`${name} [skipped: ${unavailable}; run bash scripts/services.sh up mysql]`, body);
}

export const uniqueTable = (prefix: string) => `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
export const text = (data: Uint8Array | undefined) => (data === undefined ? undefined : Buffer.from(data).toString());
