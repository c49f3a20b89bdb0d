/**
 * Shared test plumbing: the MariaDB/MySQL under test, an admin connection for looking at raw rows, and
 * throwaway schema names. Without a server the suites are skipped with the reason, except in CI where they fail.
 */
import { randomUUID } from 'node:crypto';
import type { DeleteRequest, GetRequest, Logger, SetRequest } from '@daprkit/component-sdk';
import { parseGoMySqlDsn } from '@daprkit/mysql-common';
import mysql, { type Connection } from 'mysql2/promise';
import { describe, it } from 'vitest';

export const DSN = process.env.DAPRKIT_MYSQL_DSN ?? 'daprkit:daprkit@tcp(127.0.0.1:3306)/';

/** mysql2 options for the DSN under test (tcp or unix; tests never use TLS). */
export function adminOptions(database?: string) {
  const dsn = parseGoMySqlDsn(DSN);
  const address =
    dsn.address.net === 'unix'
      ? { socketPath: dsn.address.socketPath }
      : { host: dsn.address.host, port: dsn.address.port };
  return {
    ...address,
    user: dsn.user,
    password: dsn.password,
    connectTimeout: 3000,
    timezone: 'Z' as const,
    jsonStrings: true,
    ...(database && { database }),
  };
}

/** Connects and runs `SELECT 1`; throws when the server is not there. */
export async function probeMySql(): Promise<void> {
  const connection = await mysql.createConnection(adminOptions());
  try {
    await connection.query('SELECT 1');
  } finally {
    await connection.end();
  }
}

const availability = await probeMySql().then(
  () => undefined,
  (err: unknown) =>
    `MySQL/MariaDB unreachable (${(err as { code?: string }).code ?? String(err)}); run 'bash scripts/services.sh up mysql'`,
);

/** `describe` that needs the server: skipped visibly without it, failing when CI=true. */
export function describeWithMySql(name: string, body: () => void): void {
  if (availability === undefined) describe(name, body);
  else if (process.env.CI === 'true')
    describe(name, () => it('has a MySQL/MariaDB server', () => Promise.reject(new Error(availability))));
  else {
    console.warn(`[@daprkit/state-mysql] ${availability}: '${name}' skipped (CI=true would fail it)`);
    describe.skip(`${name} [skipped: ${availability}]`, body);
  }
}

/** A schema name no other run uses. */
export const uniqueSchema = (prefix = 'dkt') => `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 16)}`;

export async function adminConnection(database?: string): Promise<Connection> {
  return mysql.createConnection(adminOptions(database));
}

export async function dropSchema(name: string): Promise<void> {
  const connection = await adminConnection();
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await connection.end();
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const json = (value: unknown) => encoder.encode(JSON.stringify(value));
export const parsed = (data: Uint8Array | undefined) =>
  data === undefined ? undefined : JSON.parse(decoder.decode(data));
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const setRequest = (key: string, value: unknown, extra: Partial<SetRequest> = {}): SetRequest => ({
  key,
  value: value instanceof Uint8Array ? value : json(value),
  metadata: {},
  options: {},
  ...extra,
});
export const deleteRequest = (key: string, extra: Partial<DeleteRequest> = {}): DeleteRequest => ({
  key,
  metadata: {},
  options: {},
  ...extra,
});
export const getRequest = (key: string): GetRequest => ({ key, metadata: {} });

/** Polls `check` until it returns true or `timeoutMs` passes; returns the last answer. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}

/** A logger that remembers warnings, for asserting on them. */
export function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, warn: (message) => warnings.push(message), error() {} };
}
