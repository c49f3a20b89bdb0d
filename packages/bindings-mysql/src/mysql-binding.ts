import {
  DaprkitError,
  FailedPreconditionError,
  goJsonStringify,
  InvalidArgumentError,
  type InvokeRequest,
  type InvokeResponse,
  invokeSqlBinding,
  type Logger,
  type Metadata,
  type OutputBinding,
  SQL_BINDING_OPERATIONS,
  type SqlBindingDriver,
  silentLogger,
  UnavailableError,
} from '@daprkit/component-sdk';
import { baseOptions, describeAddress, MAX_INIT_CONNECT_MS, sslOptions } from '@daprkit/mysql-common';
import mysql, { type FieldPacket, type Pool, type ResultSetHeader } from 'mysql2/promise';
import { type MySqlBindingSettings, readSettings } from './metadata.js';
import { type ColumnInfo, rowsOf } from './values.js';

export interface MySqlBindingOptions {
  logger?: Logger;
}

/** Failures a retry (or a new pooled connection) may cure. */
const TRANSIENT = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
]);

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));
const codeOf = (err: unknown) => String((err as { code?: unknown }).code ?? '');

/** Every column as its raw text-protocol bytes: values.ts decides what contrib would have made of it. */
const rawBytes = (field: { buffer(): Buffer | null }) => field.buffer();

/** go-sql-driver converts only scalars; a map or slice argument fails before anything is sent. */
function checkParams(params: unknown[]): unknown[] {
  params.forEach((p, i) => {
    if (p !== null && typeof p === 'object') {
      const kind = Array.isArray(p) ? '[]interface {}, a slice' : 'map[string]interface {}, a map';
      throw new InvalidArgumentError(
        `error executing query: sql: converting argument $${i + 1} type: unsupported type ${kind}`,
      );
    }
  });
  return params;
}

/**
 * contrib's `bindings.mysql`: `exec`, `query` and `close` with `sql` and `params` (`?` placeholders). Query rows
 * are JSON objects keyed by column name, encoded with contrib's quirks (see values.ts); no rows → `null`.
 */
export class MySqlBinding implements OutputBinding {
  private readonly logger: Logger;
  private pool: Pool | undefined;
  private settings: MySqlBindingSettings | undefined;
  private closed = false;
  private readonly driver: SqlBindingDriver = {
    isClosed: () => this.closed,
    close: () => this.close(),
    exec: (sql, params) => this.exec(sql, params),
    query: (sql, params) => this.query(sql, params),
  };

  constructor(options: MySqlBindingOptions = {}) {
    this.logger = options.logger ?? silentLogger;
  }

  async init(properties: Metadata): Promise<void> {
    if (this.closed) throw new FailedPreconditionError('cannot initialize a previously-closed component');
    if (this.pool !== undefined) throw new FailedPreconditionError('component is already initialised');
    const settings = readSettings(properties);
    const { dsn } = settings;
    const base = baseOptions(dsn, await sslOptions(dsn, settings.pemPath, 'url'));
    const pool = mysql.createPool({
      ...base,
      ...(dsn.database !== undefined && { database: dsn.database }),
      connectTimeout: Math.min(base.connectTimeout!, MAX_INIT_CONNECT_MS),
      // go-sql-driver reads DATETIME/TIMESTAMP text as UTC (loc=UTC) and reports changed rows, not found rows.
      timezone: 'Z',
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      flags: ['-FOUND_ROWS'],
      connectionLimit: settings.maxOpenConns > 0 ? settings.maxOpenConns : 10,
      ...(settings.maxIdleConns > 0 && { maxIdle: settings.maxIdleConns }),
      ...(settings.connMaxIdleTimeMs > 0 && { idleTimeout: settings.connMaxIdleTimeMs }),
    });
    try {
      const connection = await pool.getConnection();
      try {
        await connection.ping();
      } finally {
        connection.release();
      }
    } catch (err) {
      await pool.end().catch(() => undefined);
      const where = describeAddress(dsn.address);
      const reason = TRANSIENT.has(codeOf(err)) ? codeOf(err) : redact(messageOf(err), dsn.password);
      throw new UnavailableError(`unable to ping the DB: metadata 'url': cannot connect to ${where} (${reason})`);
    }
    this.settings = settings;
    this.pool = pool;
    this.logger.debug('mysql binding ready', { address: describeAddress(dsn.address) });
  }

  operations(): readonly string[] {
    return SQL_BINDING_OPERATIONS;
  }

  invoke(request: InvokeRequest): Promise<InvokeResponse> {
    return invokeSqlBinding(this.driver, request);
  }

  /** Closes the pool; idempotent, and `close` keeps answering afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end().catch(() => undefined);
  }

  private async run(sql: string, params: unknown[]): Promise<[unknown, FieldPacket[] | undefined]> {
    const pool = this.pool;
    if (pool === undefined) throw new FailedPreconditionError('component is not initialised: call init first');
    try {
      const [result, fields] = await pool.query({
        sql,
        values: checkParams(params),
        typeCast: rawBytes,
        rowsAsArray: true,
      });
      return [result, fields as FieldPacket[] | undefined];
    } catch (err) {
      throw this.executionError(err);
    }
  }

  private async exec(sql: string, params: unknown[]): Promise<number> {
    const [result] = await this.run(sql, params);
    return Array.isArray(result) ? 0 : (result as ResultSetHeader).affectedRows;
  }

  private async query(sql: string, params: unknown[]): Promise<Uint8Array> {
    const [result, fields] = await this.run(sql, params);
    if (!Array.isArray(result) || fields === undefined) return Buffer.from('null');
    const columns: ColumnInfo[] = fields.map((f) => ({
      name: f.name,
      columnType: f.columnType ?? 0,
      flags: Number(f.flags ?? 0),
      characterSet: f.characterSet ?? 0,
    }));
    try {
      return Buffer.from(goJsonStringify(rowsOf(columns, result as (Buffer | null)[][], params.length > 0)));
    } catch (err) {
      throw new InvalidArgumentError(`error marshalling query result for query: ${messageOf(err)}`);
    }
  }

  /** `error executing query: Error <errno> (<sqlstate>): <message>`, as go-sql-driver words server errors. */
  private executionError(err: unknown): DaprkitError {
    if (DaprkitError.isInstance(err)) return err;
    const e = err as { errno?: number; sqlState?: string; sqlMessage?: string };
    const password = this.settings?.dsn.password ?? '';
    const text =
      e.errno !== undefined && e.sqlMessage !== undefined
        ? `Error ${e.errno} (${e.sqlState ?? 'HY000'}): ${e.sqlMessage}`
        : messageOf(err);
    const message = `error executing query: ${redact(text, password)}`;
    if (TRANSIENT.has(codeOf(err))) return new UnavailableError(message, { cause: err });
    return new InvalidArgumentError(message, { cause: err });
  }
}

function redact(text: string, secret: string): string {
  return secret === '' ? text : text.split(secret).join('***');
}

/** A binding that is already initialised with `properties`. */
export async function createMySqlBinding(
  properties: Metadata,
  options: MySqlBindingOptions = {},
): Promise<MySqlBinding> {
  const binding = new MySqlBinding(options);
  await binding.init(properties);
  return binding;
}
