import {
  type BulkGetItem,
  type DeleteRequest,
  ETagMismatchError,
  FailedPreconditionError,
  type GetRequest,
  type GetResponse,
  InvalidArgumentError,
  type Logger,
  type Metadata,
  newETag,
  type SetRequest,
  StateFeature,
  type StateStore,
  silentLogger,
  startCleanupLoop,
  type TransactionalStore,
  type TransactionRequest,
  ttlExpireTimeMetadata,
} from '@daprkit/component-sdk';
import type { Pool, PoolConnection } from 'mysql2/promise';
import { openPool } from './connect.js';
import { type Param, read, write } from './db.js';
import { operationError } from './driver-errors.js';
import { parseSettings } from './metadata.js';
import { type PlannedOperation, planDelete, planOperation, planSet } from './plan.js';
import { ensureSchema } from './schema.js';
import { type StateRow, type StateStatements, stateStatements } from './sql.js';
import { decodeValue } from './values.js';

const CLEANUP_TIMEOUT_MS = 10 * 60_000;
/** Keys per bulk-get statement: bounds the statement size and the IN list the optimizer has to handle. */
const BULK_GET_CHUNK = 1000;
const TIMESTAMP_OVERFLOW = new Set([
  'ER_TRUNCATED_WRONG_VALUE',
  'ER_WARN_DATA_OUT_OF_RANGE',
  'ER_DATETIME_FUNCTION_OVERFLOW',
]);

const mismatch = (key: string) => new ETagMismatchError(`no live row matches key '${key}' and the given etag`);

function toResponse(row: StateRow): GetResponse {
  const response: GetResponse = { data: decodeValue(row.value, row.isbinary), etag: row.eTag };
  const metadata = ttlExpireTimeMetadata(row.expiresAt === null ? undefined : Number(row.expiresAt) * 1000);
  if (metadata !== undefined) response.metadata = metadata;
  return response;
}

/** What init sets up; replaced as a whole by a re-init. */
interface Session {
  pool: Pool;
  sql: StateStatements;
  timeoutMs: number;
  cleanup: { stop(): Promise<void> };
}

export interface MySqlStateStoreOptions {
  logger?: Logger;
}

/** Dapr state store on MySQL or MariaDB, sharing contrib state.mysql's tables. */
export class MySqlStateStore implements StateStore, TransactionalStore {
  private readonly logger: Logger;
  private session: Session | undefined;
  private closed = false;

  constructor(options: MySqlStateStoreOptions = {}) {
    this.logger = options.logger ?? silentLogger;
  }

  /** Connects, creates the database and tables if needed and starts the collector. Re-init replaces the old pool. */
  async init(properties: Metadata): Promise<void> {
    if (this.closed) throw new FailedPreconditionError('component is closed');
    const settings = parseSettings(properties);
    await this.release();
    const pool = await openPool(settings);
    try {
      await ensureSchema(pool, settings, this.logger);
    } catch (err) {
      await pool.end().catch(() => {});
      throw operationError(err);
    }
    const sql = stateStatements(settings.tableName, settings.metadataTableName);
    const interval = settings.cleanupIntervalMs;
    const cleanup = startCleanupLoop({
      intervalMs: interval,
      claim: async () => (await write(pool, sql.claimCleanup, [interval - 100], settings.timeoutMs)).affectedRows > 0,
      deleteExpired: async () => (await write(pool, sql.deleteExpired, [], CLEANUP_TIMEOUT_MS)).affectedRows,
      logger: this.logger,
      name: 'state.mysql',
    });
    this.session = { pool, sql, timeoutMs: settings.timeoutMs, cleanup };
  }

  features(): readonly StateFeature[] {
    return [StateFeature.ETag, StateFeature.TTL];
  }

  async ping(): Promise<void> {
    try {
      await this.active().pool.query('SELECT 1');
    } catch (err) {
      throw operationError(err);
    }
  }

  async get(request: GetRequest): Promise<GetResponse> {
    const { pool, sql, timeoutMs } = this.active();
    const [row] = await read(pool, sql.get, [request.key], timeoutMs);
    return row === undefined ? {} : toResponse(row);
  }

  /** One `IN (...)` query per 1000 keys; one item per requested key, in request order. */
  async bulkGet(requests: GetRequest[]): Promise<BulkGetItem[]> {
    const { pool, sql, timeoutMs } = this.active();
    const keys = [...new Set(requests.map((r) => r.key))];
    const rows = new Map<string, StateRow>();
    for (let i = 0; i < keys.length; i += BULK_GET_CHUNK) {
      const chunk = keys.slice(i, i + BULK_GET_CHUNK);
      // Text protocol (client-side escaping): a prepared statement per IN-list length would pile up on the server.
      for (const row of await read(pool, sql.bulkGet(chunk.length), chunk, timeoutMs, 'text')) rows.set(row.id, row);
    }
    return requests.map(({ key }) => {
      const row = rows.get(key);
      return row === undefined ? { key } : { key, ...toResponse(row) };
    });
  }

  async set(request: SetRequest): Promise<void> {
    await this.apply(this.active(), planSet(request));
  }

  async delete(request: DeleteRequest): Promise<void> {
    await this.apply(this.active(), planDelete(request));
  }

  /** One operation runs directly; more run in one SQL transaction, in order, rolled back on the first error. */
  async transact(request: TransactionRequest): Promise<void> {
    const session = this.active();
    // Reject malformed operations (bad TTL, empty key) before anything is written.
    const planned = request.operations.map(planOperation);
    if (planned.length === 0) return;
    if (planned.length === 1) return this.apply(session, planned[0]!);

    const connection = await session.pool.getConnection().catch((err: unknown) => {
      throw operationError(err);
    });
    let reusable = true;
    try {
      await connection.beginTransaction();
      for (const op of planned) await this.apply(session, op, connection);
      await connection.commit();
    } catch (err) {
      await connection.rollback().catch(() => {
        reusable = false;
      });
      throw operationError(err);
    } finally {
      if (reusable) connection.release();
      else connection.destroy();
    }
  }

  /** Stops the collector and closes the pool; later calls fail with FailedPreconditionError. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await this.release();
  }

  /** Runs one planned operation on the pool, or on `connection` inside a transaction. */
  private async apply(
    { pool, sql, timeoutMs }: Session,
    op: PlannedOperation,
    connection?: PoolConnection,
  ): Promise<void> {
    const run = (statement: string, params: Param[]) => write(connection ?? pool, statement, params, timeoutMs);
    if (op.kind === 'delete') {
      const deleted = await (op.etag === undefined
        ? run(sql.delete, [op.key])
        : run(sql.deleteIfETag, [op.key, op.etag]));
      if (op.etag !== undefined && deleted.affectedRows !== 1) throw mismatch(op.key);
      return;
    }
    const etag = newETag();
    try {
      if (op.etag !== undefined) {
        const updated = await run(sql.updateIfETag, [op.text, op.isBinary, etag, op.ttl, op.key, op.etag]);
        if (updated.affectedRows === 0) throw mismatch(op.key);
      } else if (op.firstWrite) {
        const inserted = await run(sql.insertIfAbsent, [op.key, op.text, op.isBinary, etag, op.ttl]);
        if (inserted.affectedRows === 0) throw new ETagMismatchError(`first-write: key '${op.key}' already exists`);
      } else {
        await run(sql.upsert, [op.key, op.text, op.isBinary, etag, op.ttl]);
      }
    } catch (err) {
      // Strict SQL mode refuses an expiry past the TIMESTAMP range (2038 on MySQL and on MariaDB before 11.5).
      if (op.ttl !== null && TIMESTAMP_OVERFLOW.has((err as { code?: string }).code ?? '')) {
        throw new InvalidArgumentError(
          `incorrect value for metadata 'ttlInSeconds': ${op.ttl} s is beyond the server's TIMESTAMP range`,
        );
      }
      throw err;
    }
  }

  private async release(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await session?.cleanup.stop();
    await session?.pool.end().catch(() => {});
  }

  private active(): Session {
    if (this.closed) throw new FailedPreconditionError('component is closed');
    if (this.session === undefined) throw new FailedPreconditionError('component is not initialised');
    return this.session;
  }
}

/** A store that is already initialised with `properties`. */
export async function createMySqlStateStore(
  properties: Metadata,
  options: MySqlStateStoreOptions = {},
): Promise<MySqlStateStore> {
  const store = new MySqlStateStore(options);
  await store.init(properties);
  return store;
}
