import {
  type BulkGetItem,
  type DeleteRequest,
  ETagMismatchError,
  FailedPreconditionError,
  type GetRequest,
  type GetResponse,
  hasETag,
  isFirstWrite,
  type Logger,
  type Metadata,
  parseTtlInSeconds,
  type QueryableStore,
  type QueryRequest,
  type QueryResponse,
  type SetRequest,
  StateFeature,
  type StateStore,
  silentLogger,
  startCleanupLoop,
  type TransactionalStore,
  type TransactionOperation,
  type TransactionRequest,
  ttlExpireTimeMetadata,
} from '@daprkit/component-sdk';
import pg, { type Pool, type PoolClient, type QueryConfig, type QueryResultRow } from 'pg';
import { classify, connectError } from './driver-errors.js';
import { type PostgresSettings, readSettings } from './metadata.js';
import { migrate } from './migrations.js';
import { translateQuery } from './query.js';
import { buildStatements, type Statements } from './statements.js';
import { decodeValue, encodeValue, parseETag } from './values.js';

type Queryable = Pool | PoolClient;

interface StateRow {
  key: string;
  value: string;
  isbinary: boolean;
  etag: string;
  expiredate: Date | null;
}

/** §0.5: the expired-row delete may take much longer than a regular operation. */
const CLEANUP_TIMEOUT_MS = 600_000;
/** §0.5: claim a tick when the previous one is older than the interval minus this slack. */
const CLEANUP_CLAIM_SLACK_MS = 100;

function toResponse(row: StateRow): GetResponse {
  const metadata = ttlExpireTimeMetadata(row.expiredate?.getTime());
  return { data: decodeValue(row.value, row.isbinary), etag: row.etag, ...(metadata ? { metadata } : {}) };
}

export interface PostgresStateStoreOptions {
  logger?: Logger;
}

/** Everything that exists between a successful init and close. */
interface Connection {
  pool: Pool;
  sql: Statements;
  settings: PostgresSettings;
  cleanup: ReturnType<typeof startCleanupLoop>;
}

/**
 * `state.postgresql` v1 on node-postgres: jsonb values, `xmin` ETags, TTL via `expiredate`, the query API over jsonb
 * paths, and the §0.5 collector. Shares tables with Go sidecars running contrib's v1.
 */
export class PostgresStateStore implements StateStore, TransactionalStore, QueryableStore {
  readonly #logger: Logger;
  #connection: Connection | undefined;
  #closed = false;

  constructor(options: PostgresStateStoreOptions = {}) {
    this.#logger = options.logger ?? silentLogger;
  }

  features(): readonly StateFeature[] {
    return [StateFeature.ETag, StateFeature.TTL];
  }

  async init(properties: Metadata): Promise<void> {
    if (this.#connection !== undefined || this.#closed) {
      throw new FailedPreconditionError('state.postgresql: init may only be called once');
    }
    const settings = readSettings(properties);
    const pool = new pg.Pool(settings.pool);
    // An idle pooled connection dropping (server restart, network) must not crash the process.
    pool.on('error', (err) => this.#logger.warn('state.postgresql: idle connection error', { error: err.message }));
    try {
      await pool.query('SELECT 1').catch((err) => Promise.reject(connectError(settings, err)));
      const { tableName, metadataTableName } = settings;
      await migrate(pool, { tableName, metadataTableName, logger: this.#logger }).catch((err) =>
        Promise.reject(classify(err)),
      );
    } catch (err) {
      await pool.end().catch(() => {});
      throw err;
    }
    const cleanup = startCleanupLoop({
      intervalMs: settings.cleanupIntervalMs,
      claim: () => this.#claimCleanup(),
      deleteExpired: () => this.#deleteExpired(),
      logger: this.#logger,
      name: `state.postgresql(${settings.tableName})`,
    });
    const sql = buildStatements(settings.tableName, settings.metadataTableName, settings.namedStatements);
    this.#connection = { pool, sql, settings, cleanup };
  }

  async ping(): Promise<void> {
    await this.#query(this.#ready().sql.ping());
  }

  async get(request: GetRequest): Promise<GetResponse> {
    const { rows } = await this.#query<StateRow>(this.#ready().sql.get(request.key));
    return rows[0] === undefined ? {} : toResponse(rows[0]);
  }

  /** One query for every key; one item per requested key, in request order (missing keys carry only the key). */
  async bulkGet(requests: GetRequest[]): Promise<BulkGetItem[]> {
    if (requests.length === 0) return [];
    const keys = requests.map((r) => r.key);
    const { rows } = await this.#query<StateRow>(this.#ready().sql.bulkGet([...new Set(keys)]));
    const found = new Map(rows.map((row) => [row.key, row]));
    return keys.map((key) => {
      const row = found.get(key);
      return row === undefined ? { key } : { key, ...toResponse(row) };
    });
  }

  async set(request: SetRequest): Promise<void> {
    await this.#set(this.#ready().pool, request);
  }

  async delete(request: DeleteRequest): Promise<void> {
    await this.#delete(this.#ready().pool, request);
  }

  /** In order, all or nothing; a single operation skips the explicit transaction. */
  async transact(request: TransactionRequest): Promise<void> {
    const [first, ...rest] = request.operations;
    if (first === undefined) return;
    if (rest.length === 0) return this.#apply(this.#ready().pool, first);
    await this.#inTransaction(async (client) => {
      for (const operation of request.operations) await this.#apply(client, operation);
    });
  }

  async query(request: QueryRequest): Promise<QueryResponse> {
    const { text, values, offset, limit } = translateQuery(this.#ready().settings.tableName, request.query);
    const { rows } = await this.#query<Omit<StateRow, 'isbinary' | 'expiredate'>>({ text, values });
    const hasMore = limit > 0 && rows.length > limit;
    const page = hasMore ? rows.slice(0, limit) : rows;
    return {
      items: page.map((row) => ({ key: row.key, data: decodeValue(row.value, false), etag: row.etag })),
      ...(hasMore ? { token: String(offset + limit) } : {}),
    };
  }

  /** Runs one collector tick now (if this process wins the §0.5 claim); returns the number of rows removed. */
  cleanupExpired(): Promise<number> {
    return this.#ready().cleanup.runOnce();
  }

  async close(): Promise<void> {
    this.#closed = true;
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection === undefined) return;
    await connection.cleanup.stop();
    await connection.pool.end();
  }

  // ---------- internals ----------

  #ready(): Connection {
    if (this.#connection === undefined) {
      throw new FailedPreconditionError(
        this.#closed ? 'component is closed' : 'state.postgresql: init has not completed',
      );
    }
    return this.#connection;
  }

  async #query<R extends QueryResultRow>(config: QueryConfig, db: Queryable = this.#ready().pool) {
    try {
      return await db.query<R>(config);
    } catch (err) {
      throw classify(err);
    }
  }

  async #inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#ready()
      .pool.connect()
      .catch((err) => Promise.reject(classify(err)));
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      // A failed ROLLBACK means the session is unusable: destroy it rather than hand it to the next caller.
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw classify(err);
    } finally {
      client.release(broken);
    }
  }

  #apply(db: Queryable, operation: TransactionOperation): Promise<void> {
    return operation.operation === 'upsert' ? this.#set(db, operation.request) : this.#delete(db, operation.request);
  }

  async #set(db: Queryable, request: SetRequest): Promise<void> {
    const ttl = parseTtlInSeconds(request.metadata) ?? 0;
    const { json, isBinary } = encodeValue(request.value, request.binary);
    const { sql } = this.#ready();
    const statement = hasETag(request.etag)
      ? sql.updateIfETag(request.key, json, isBinary, ttl, parseETag(request.etag))
      : isFirstWrite(request.options)
        ? sql.insertOrReplaceExpired(request.key, json, isBinary, ttl)
        : sql.upsert(request.key, json, isBinary, ttl);
    const { rowCount } = await this.#query(statement, db);
    // No row means the guard failed: a stale/unknown ETag, or (first-write) a live row already exists. contrib
    // reports the latter as a plain error; it is the same concurrency conflict, so it is an ETag mismatch here.
    if (rowCount !== 1) {
      throw new ETagMismatchError(`no row was written for key '${request.key}'`);
    }
  }

  async #delete(db: Queryable, request: DeleteRequest): Promise<void> {
    const { sql } = this.#ready();
    if (!hasETag(request.etag)) {
      await this.#query(sql.delete(request.key), db);
      return;
    }
    const { rowCount } = await this.#query(sql.deleteIfETag(request.key, parseETag(request.etag)), db);
    if (rowCount !== 1) {
      throw new ETagMismatchError(`no row was deleted for key '${request.key}'`);
    }
  }

  async #claimCleanup(): Promise<boolean> {
    const { sql, settings } = this.#ready();
    const { rowCount } = await this.#query(sql.claimCleanup(settings.cleanupIntervalMs - CLEANUP_CLAIM_SLACK_MS));
    return rowCount === 1;
  }

  #deleteExpired(): Promise<number> {
    const { sql } = this.#ready();
    return this.#inTransaction(async (client) => {
      await client.query(`SET LOCAL statement_timeout = ${CLEANUP_TIMEOUT_MS}`);
      const { rowCount } = await client.query({
        ...sql.deleteExpired(),
        query_timeout: CLEANUP_TIMEOUT_MS + 5_000,
      } as QueryConfig);
      return rowCount ?? 0;
    });
  }
}

export function createPostgresStateStore(options: PostgresStateStoreOptions = {}): PostgresStateStore {
  return new PostgresStateStore(options);
}
