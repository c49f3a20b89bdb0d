import {
  type BulkGetItem,
  type DeleteRequest,
  ETagMismatchError,
  FailedPreconditionError,
  type GetRequest,
  type GetResponse,
  hasETag,
  InvalidArgumentError,
  isFirstWrite,
  type Logger,
  type Metadata,
  newETag,
  parseTtlInSeconds,
  type SetRequest,
  StateFeature,
  type StateStore,
  silentLogger,
  startCleanupLoop,
  type TransactionalStore,
  type TransactionOperation,
  type TransactionRequest,
  UnavailableError,
} from '@daprkit/component-sdk';
import Database from 'better-sqlite3';
import { readSettings, type SqliteSettings } from './metadata.js';
import { migrate } from './migrations.js';
import { expiryModifier, Statements, type StateRow } from './statements.js';
import { decodeValue, encodeValue, parseSqliteTime, rfc3339Seconds } from './values.js';

/** §0.5: claim a tick when the previous one is older than the interval minus this slack. */
const CLEANUP_CLAIM_SLACK_MS = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** SQLITE_BUSY (another connection holds the lock) and its extended codes; SQLITE_LOCKED is the same-process kind. */
function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

function toResponse(row: StateRow): GetResponse {
  const expiresAt = parseSqliteTime(row.expiration_time);
  return {
    data: decodeValue(row.value, row.is_binary),
    etag: row.etag,
    ...(expiresAt !== undefined ? { metadata: { ttlExpireTime: rfc3339Seconds(expiresAt) } } : {}),
  };
}

function requireKey(key: string, operation: string): void {
  if (key === '') throw new InvalidArgumentError(`missing key in ${operation}`);
}

interface PendingWrite {
  work: () => void;
  resolve: () => void;
  reject: (err: unknown) => void;
  deadline: number;
  window: number;
}

export interface SqliteStateStoreOptions {
  logger?: Logger;
}

interface Connection {
  db: Database.Database;
  sql: Statements;
  settings: SqliteSettings;
  cleanup: ReturnType<typeof startCleanupLoop>;
}

/**
 * `state.sqlite` on better-sqlite3: contrib's table layout, value encoding, UUID ETags, text timestamps and
 * migrations, so one database file can be shared with daprd's own `state.sqlite` (modernc driver).
 *
 * better-sqlite3 is synchronous: a read, or a batch of writes (group commit, see #write), is one synchronous unit,
 * so units never interleave on the connection. SQLite's own busy handler would sleep inside that unit and stall the
 * event loop, so it is off; a unit that meets a lock held by another process is rolled back and retried
 * asynchronously with backoff until `busyTimeout` (bounded by `timeout`) has passed.
 */
export class SqliteStateStore implements StateStore, TransactionalStore {
  readonly #logger: Logger;
  #connection: Connection | undefined;
  #closed = false;
  #queue: PendingWrite[] = [];
  #flushScheduled = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #retryDelay = 1;

  constructor(options: SqliteStateStoreOptions = {}) {
    this.#logger = options.logger ?? silentLogger;
  }

  features(): readonly StateFeature[] {
    return [StateFeature.ETag, StateFeature.TTL];
  }

  async init(properties: Metadata): Promise<void> {
    if (this.#connection !== undefined || this.#closed) {
      throw new FailedPreconditionError('state.sqlite: init may only be called once');
    }
    const settings = readSettings(properties);
    const { target } = settings;
    if (target.ignored.length > 0) {
      this.#logger.warn('state.sqlite: connection string parameters not supported by this driver are ignored', {
        parameters: target.ignored.join(','),
      });
    }
    if (target.nonImmediateTxLock) {
      this.#logger.warn(
        "state.sqlite: database connection is being created with a _txlock different from the recommended value 'immediate'",
      );
    }
    // Opening may meet another process migrating the same file: wait as long as an operation may.
    const initWaitMs = Math.max(settings.busyTimeoutMs, settings.timeoutMs);
    let db: Database.Database;
    try {
      db = new Database(target.filename, {
        readonly: target.readonly,
        fileMustExist: target.fileMustExist,
        timeout: 0,
      });
    } catch (err) {
      // The reason (e.g. "unable to open database file", "directory does not exist") would tell an Init caller
      // which paths exist: debug log only (issue 21).
      this.#logger.debug('state.sqlite: failed to open the database', { reason: (err as Error).message });
      throw new UnavailableError(
        'state.sqlite: cannot use the database named by connectionString (the reason is logged at debug level)',
      );
    }
    try {
      // modernc applies `_pragma` on every new connection before use; this store has exactly one connection.
      for (const pragma of target.pragmas) db.exec(`PRAGMA ${pragma}`);
      if (!target.pragmas.some((p) => p.toLowerCase().startsWith('synchronous'))) {
        // Stock SQLite (what modernc is) syncs FULL in WAL mode too; better-sqlite3's build defaults WAL to NORMAL.
        db.exec('PRAGMA synchronous = FULL');
      }
      if (!target.readonly) {
        // A read-only connection keeps the file's journal: contrib asks for DELETE there, which on a WAL file that
        // a writer has open waits for a lock that is never released.
        await this.#withBusyRetry(initWaitMs, () => {
          db.exec(`PRAGMA journal_mode = ${target.journalMode}`);
        });
        await this.#withBusyRetry(initWaitMs, () =>
          migrate(db, {
            tableName: settings.tableName,
            metadataTableName: settings.metadataTableName,
            logger: this.#logger,
          }),
        );
      }
      const sql = new Statements(db, settings.tableName, settings.metadataTableName);
      const cleanup = startCleanupLoop({
        intervalMs: target.readonly ? 0 : settings.cleanupIntervalMs,
        claim: () =>
          this.#unit(() => sql.claimCleanup.run(settings.cleanupIntervalMs - CLEANUP_CLAIM_SLACK_MS).changes === 1),
        deleteExpired: () => this.#unit(() => sql.deleteExpired.run().changes),
        logger: this.#logger,
        name: `state.sqlite(${settings.tableName})`,
      });
      this.#connection = { db, sql, settings, cleanup };
    } catch (err) {
      db.close();
      if (err instanceof Error && !('code' in err && typeof err.code === 'string' && err.code.startsWith('SQLITE')))
        throw err;
      // "file is not a database" and the like would tell an Init caller what an arbitrary path holds.
      this.#logger.debug('state.sqlite: failed to prepare the database', { reason: (err as Error).message });
      throw new UnavailableError(
        'state.sqlite: cannot use the database named by connectionString (the reason is logged at debug level)',
      );
    }
  }

  async ping(): Promise<void> {
    await this.#unit(() => this.#ready().sql.ping.get());
  }

  async get(request: GetRequest): Promise<GetResponse> {
    requireKey(request.key, 'get operation');
    const row = await this.#unit(() => this.#ready().sql.get.get(request.key) as StateRow | undefined);
    return row === undefined ? {} : toResponse(row);
  }

  /** One query for every key; one item per requested key, in request order (missing keys carry only the key). */
  async bulkGet(requests: GetRequest[]): Promise<BulkGetItem[]> {
    if (requests.length === 0) return [];
    const keys = requests.map((r) => r.key);
    const distinct = [...new Set(keys)];
    const rows = await this.#unit(
      () =>
        this.#ready()
          .sql.bulkGet(distinct.length)
          .all(...distinct) as StateRow[],
    );
    const found = new Map(rows.map((row) => [row.key, row]));
    return keys.map((key) => {
      const row = found.get(key);
      if (row === undefined) return { key };
      try {
        return { key, ...toResponse(row) };
      } catch (err) {
        return { key, error: `failed to decode binary data: ${(err as Error).message}` };
      }
    });
  }

  async set(request: SetRequest): Promise<void> {
    await this.#write(this.#prepareSet(request));
  }

  async delete(request: DeleteRequest): Promise<void> {
    await this.#write(this.#prepareDelete(request));
  }

  /** In order, all or nothing (one savepoint around every operation of the request). */
  async transact(request: TransactionRequest): Promise<void> {
    const steps = request.operations.map((operation) => this.#prepare(operation));
    if (steps.length === 0) return;
    await this.#write(() => {
      for (const step of steps) step();
    });
  }

  /** Runs one collector tick now (if this process wins the §0.5 claim); returns the number of rows removed. */
  cleanupExpired(): Promise<number> {
    return this.#ready().cleanup.runOnce();
  }

  async close(): Promise<void> {
    // Writes already accepted get their commit attempt; what still waits for a lock afterwards is refused.
    if (this.#queue.length > 0 && this.#connection !== undefined) this.#flush(true);
    for (const w of this.#queue.splice(0)) w.reject(new FailedPreconditionError('component is closed'));
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#closed = true;
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection === undefined) return;
    await connection.cleanup.stop();
    connection.db.close();
  }

  // ---------- internals ----------

  /**
   * Group commit. Writes issued in the same turn of the event loop are applied in one `BEGIN … COMMIT` (one WAL
   * fsync for all of them), in arrival order, each inside its own SAVEPOINT: a failing write (an ETag conflict) is
   * rolled back alone and rejected alone; the others commit. A write's promise settles only after the COMMIT, so an
   * acknowledged write is durable and visible to every later read. A lock held by another process rolls the whole
   * batch back and retries it (joined by newer writes) until each write's busy window has passed.
   */
  #write(work: () => void): Promise<void> {
    const { settings } = this.#ready();
    const window = settings.busyTimeoutMs > 0 ? Math.min(settings.busyTimeoutMs, settings.timeoutMs) : 0;
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ work, resolve, reject, deadline: Date.now() + window, window });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(final = false): void {
    this.#flushScheduled = false;
    this.#retryTimer = undefined;
    const batch = this.#queue.splice(0);
    if (batch.length === 0) return;
    const connection = this.#connection;
    if (connection === undefined) {
      for (const w of batch) w.reject(new FailedPreconditionError('component is closed'));
      return;
    }
    const { db, settings } = connection;
    const failures = new Map<PendingWrite, unknown>();
    try {
      db.exec(`BEGIN ${settings.target.txLock.toUpperCase()}`);
      try {
        for (const w of batch) {
          db.exec('SAVEPOINT w');
          try {
            w.work();
            db.exec('RELEASE w');
          } catch (err) {
            if (isBusy(err)) throw err;
            db.exec('ROLLBACK TO w');
            db.exec('RELEASE w');
            failures.set(w, err);
          }
        }
        db.exec('COMMIT');
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
    } catch (err) {
      if (!isBusy(err)) {
        for (const w of batch) w.reject(err);
        return;
      }
      const now = Date.now();
      const waiting: PendingWrite[] = [];
      for (const w of batch) {
        if (final || now >= w.deadline) {
          w.reject(
            new UnavailableError(`state.sqlite: database is locked (waited ${w.window}ms): ${(err as Error).message}`, {
              cause: err,
            }),
          );
        } else waiting.push(w);
      }
      if (waiting.length === 0) return;
      this.#queue.unshift(...waiting);
      this.#flushScheduled = true;
      this.#retryDelay = Math.min(this.#retryDelay * 2, 50);
      this.#retryTimer = setTimeout(() => this.#flush(), this.#retryDelay);
      return;
    }
    this.#retryDelay = 1;
    for (const w of batch) {
      const failure = failures.get(w);
      if (failure === undefined) w.resolve();
      else w.reject(failure);
    }
  }

  #ready(): Connection {
    if (this.#connection === undefined) {
      throw new FailedPreconditionError(this.#closed ? 'component is closed' : 'state.sqlite: init has not completed');
    }
    return this.#connection;
  }

  /** Runs a synchronous unit now; on a lock held elsewhere, retries it until the busy window has passed. */
  #unit<T>(work: () => T): Promise<T> {
    const { settings } = this.#ready();
    try {
      return Promise.resolve(work());
    } catch (err) {
      if (!isBusy(err) || settings.busyTimeoutMs <= 0) return Promise.reject(err);
      return this.#withBusyRetry(Math.min(settings.busyTimeoutMs, settings.timeoutMs), work, 1);
    }
  }

  async #withBusyRetry<T>(windowMs: number, work: () => T, attempt = 0): Promise<T> {
    const deadline = Date.now() + windowMs;
    let delay = 1;
    for (let n = attempt; ; n++) {
      if (n > 0) {
        await sleep(delay);
        delay = Math.min(delay * 2, 50);
      }
      try {
        return work();
      } catch (err) {
        if (!isBusy(err)) throw err;
        if (Date.now() >= deadline) {
          throw new UnavailableError(
            `state.sqlite: database is locked (waited ${windowMs}ms): ${(err as Error).message}`,
            {
              cause: err,
            },
          );
        }
      }
    }
  }

  #prepare(operation: TransactionOperation): () => void {
    return operation.operation === 'upsert'
      ? this.#prepareSet(operation.request)
      : this.#prepareDelete(operation.request);
  }

  /** Validates and encodes now; the returned unit only touches the database. */
  #prepareSet(request: SetRequest): () => void {
    requireKey(request.key, 'set option');
    const modifier = expiryModifier(parseTtlInSeconds(request.metadata));
    const { text, isBinary } = encodeValue(request.value);
    const etag = newETag();
    const { key } = request;
    if (hasETag(request.etag)) {
      const expected = request.etag;
      return () => {
        if (this.#ready().sql.updateIfETag.run(text, etag, isBinary, modifier, key, expected).changes === 0) {
          throw new ETagMismatchError(`no row was updated for key '${key}'`);
        }
      };
    }
    if (isFirstWrite(request.options)) {
      return () => {
        if (this.#ready().sql.firstWrite.get(key, text, isBinary, etag, modifier, key) === undefined) {
          throw new ETagMismatchError(`first-write found a live value for key '${key}'`);
        }
      };
    }
    return () => {
      this.#ready().sql.upsert.run(key, text, isBinary, etag, modifier);
    };
  }

  #prepareDelete(request: DeleteRequest): () => void {
    requireKey(request.key, 'delete operation');
    const { key } = request;
    if (!hasETag(request.etag)) {
      return () => {
        this.#ready().sql.delete.run(key);
      };
    }
    const expected = request.etag;
    return () => {
      if (this.#ready().sql.deleteIfETag.run(key, expected).changes === 0) {
        throw new ETagMismatchError(`no row was deleted for key '${key}'`);
      }
    };
  }
}

export function createSqliteStateStore(options: SqliteStateStoreOptions = {}): SqliteStateStore {
  return new SqliteStateStore(options);
}
