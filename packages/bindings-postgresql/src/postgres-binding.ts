import {
  type DaprkitError,
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
import pg from 'pg';
import { type PostgresBindingSettings, readSettings } from './metadata.js';
import { pgValue } from './values.js';

export interface PostgresBindingOptions {
  logger?: Logger;
}

/** Every column arrives as PostgreSQL's text form; values.ts turns it into what contrib's JSON holds. */
const RAW_TEXT = { getTypeParser: () => (value: string) => value };
const TRANSIENT_NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * contrib's `bindings.postgres`: `exec`, `query` and `close` on a connection pool, with `sql` and `params`
 * request metadata. Query rows are JSON arrays of column values in select order, encoded as pgx + Go's
 * `encoding/json` encode them, so apps see the same bytes behind daprkit and behind daprd.
 */
export class PostgresBinding implements OutputBinding {
  private readonly logger: Logger;
  private pool: pg.Pool | undefined;
  private settings: PostgresBindingSettings | undefined;
  private closed = false;
  private readonly driver: SqlBindingDriver = {
    isClosed: () => this.closed,
    close: () => this.close(),
    exec: (sql, params) => this.exec(sql, params),
    query: (sql, params) => this.query(sql, params),
  };

  constructor(options: PostgresBindingOptions = {}) {
    this.logger = options.logger ?? silentLogger;
  }

  async init(properties: Metadata): Promise<void> {
    if (this.closed) throw new FailedPreconditionError('cannot initialize a previously-closed component');
    if (this.pool !== undefined) throw new FailedPreconditionError('component is already initialised');
    const settings = readSettings(properties);
    const pool = new pg.Pool(settings.pool);
    // An idle client losing its connection must not crash the process; the pool replaces it.
    pool.on('error', (err) => this.logger.warn('postgresql pool connection failed', { error: this.scrub(err) }));
    try {
      const client = await pool.connect();
      client.release();
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw new UnavailableError(
        `unable to connect to the DB: metadata 'connectionString': cannot connect to ${settings.target}: ${scrub(settings, err)}`,
      );
    }
    this.settings = settings;
    this.pool = pool;
    this.logger.debug('postgresql binding ready', { target: settings.target });
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

  private async run(sql: string, params: unknown[], rowMode?: 'array'): Promise<pg.QueryResult<unknown[]>> {
    const pool = this.pool;
    if (pool === undefined) throw new FailedPreconditionError('component is not initialised: call init first');
    try {
      return await pool.query<unknown[]>({ text: sql, values: params, types: RAW_TEXT, ...(rowMode && { rowMode }) });
    } catch (err) {
      throw this.executionError(err);
    }
  }

  private async exec(sql: string, params: unknown[]): Promise<number> {
    const result = await this.run(sql, params);
    // A multi-statement text answers one result per statement; pgx reports the last command's count.
    const last = Array.isArray(result) ? (result[result.length - 1] as pg.QueryResult) : result;
    return last.rowCount ?? 0;
  }

  private async query(sql: string, params: unknown[]): Promise<Uint8Array> {
    const result = await this.run(sql, params, 'array');
    if (Array.isArray(result)) {
      throw new InvalidArgumentError('error executing query: cannot run several statements in one query');
    }
    const oids = result.fields.map((f) => f.dataTypeID);
    try {
      const rows = result.rows.map((row) => row.map((value, i) => pgValue(oids[i]!, value as string | null)));
      return Buffer.from(goJsonStringify(rows));
    } catch (err) {
      throw new InvalidArgumentError(`error serializing results: ${messageOf(err)}`);
    }
  }

  /** pgx's wording (`ERROR: … (SQLSTATE …)`) after contrib's prefix; connection trouble is retryable. */
  private executionError(err: unknown): DaprkitError {
    const code = String((err as { code?: unknown }).code ?? '');
    const severity = (err as { severity?: string }).severity;
    const text = /^[0-9A-Z]{5}$/.test(code)
      ? `${severity ?? 'ERROR'}: ${this.scrub(err)} (SQLSTATE ${code})`
      : this.scrub(err);
    const message = `error executing query: ${text}`;
    // 08P01 (protocol violation, e.g. fewer params than placeholders) is the request's fault, not the connection's.
    const transientState = /^(08|57P0)/.test(code) && code !== '08P01';
    if (TRANSIENT_NETWORK.has(code) || transientState || /Connection terminated|timeout/i.test(text)) {
      return new UnavailableError(message, { cause: err });
    }
    return new InvalidArgumentError(message, { cause: err });
  }

  private scrub(err: unknown): string {
    return this.settings === undefined ? messageOf(err) : scrub(this.settings, err);
  }
}

function scrub(settings: PostgresBindingSettings, err: unknown): string {
  const message = messageOf(err) || String((err as { code?: unknown }).code ?? 'unknown error');
  return settings.password ? message.replaceAll(settings.password, '***') : message;
}

/** A binding that is already initialised with `properties`. */
export async function createPostgresBinding(
  properties: Metadata,
  options: PostgresBindingOptions = {},
): Promise<PostgresBinding> {
  const binding = new PostgresBinding(options);
  await binding.init(properties);
  return binding;
}
