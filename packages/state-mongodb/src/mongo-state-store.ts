import {
  type BulkGetItem,
  type DeleteRequest,
  ETagMismatchError,
  expiryFromTtl,
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
  type QueryableStore,
  type QueryRequest,
  type QueryResponse,
  type SetRequest,
  StateFeature,
  type StateStore,
  silentLogger,
  UnavailableError,
} from '@daprkit/component-sdk';
import { type Collection, type Filter, MongoClient, MongoError, MongoServerError } from 'mongodb';
import { type MongoSettings, readSettings } from './metadata.js';
import { translateQuery } from './query.js';
import { decodeValue, encodeValue, rfc3339Seconds } from './values.js';
import { VERSION } from './version.js';

/** contrib's document: one per state key. */
interface StateDocument {
  _id: string;
  value: unknown;
  _etag: string;
  _ttl?: Date | null;
}

const DUPLICATE_KEY = 11000;
/** "not implemented" (FerretDB) / "command not supported": an index option the server does not have. */
const NOT_IMPLEMENTED = new Set([238, 115]);

/** Not expired: no `_ttl` (or null), or `_ttl` not yet reached — contrib's `$expr` filter in plain operators. */
const live = (now = new Date()): Filter<StateDocument> => ({ $or: [{ _ttl: null }, { _ttl: { $gte: now } }] });

function toResponse(doc: StateDocument): GetResponse {
  return {
    data: decodeValue(doc.value),
    etag: doc._etag,
    ...(doc._ttl instanceof Date ? { metadata: { ttlExpireTime: rfc3339Seconds(doc._ttl) } } : {}),
  };
}

function requireKey(key: string, operation: string): void {
  if (key === '') throw new InvalidArgumentError(`missing key in ${operation}`);
}

export interface MongoStateStoreOptions {
  logger?: Logger;
}

interface Connection {
  client: MongoClient;
  collection: Collection<StateDocument>;
  settings: MongoSettings;
}

/**
 * `state.mongodb` on the official driver: contrib's documents (`_id`, `value`, `_etag`, `_ttl`), UUID ETags, the TTL
 * index on `_ttl`, one-query bulk get and the query API. Filters and updates use plain query operators (no `$expr`,
 * no update pipelines), so the same documents are written on any server speaking the MongoDB protocol.
 */
export class MongoStateStore implements StateStore, QueryableStore {
  readonly #logger: Logger;
  #connection: Connection | undefined;
  #closed = false;

  constructor(options: MongoStateStoreOptions = {}) {
    this.#logger = options.logger ?? silentLogger;
  }

  features(): readonly StateFeature[] {
    return [StateFeature.ETag, StateFeature.TTL];
  }

  async init(properties: Metadata): Promise<void> {
    if (this.#connection !== undefined || this.#closed) {
      throw new FailedPreconditionError('state.mongodb: init may only be called once');
    }
    const settings = readSettings(properties);
    let client: MongoClient;
    try {
      client = new MongoClient(settings.uri, {
        appName: `daprkit-state-mongodb-${VERSION}`,
        serverSelectionTimeoutMS: settings.operationTimeoutMs,
        connectTimeoutMS: settings.operationTimeoutMs,
        writeConcern: settings.writeConcern,
        readConcern: { level: settings.readConcern as 'local' },
      });
    } catch (err) {
      throw new InvalidArgumentError(
        `state.mongodb: invalid connection string ${settings.target}: ${this.#scrub(settings, err)}`,
      );
    }
    try {
      await client.connect();
      await client.db(settings.databaseName).command({ ping: 1 });
      const collection = client.db(settings.databaseName).collection<StateDocument>(settings.collectionName);
      try {
        await collection.createIndex({ _ttl: 1 }, { expireAfterSeconds: 0 });
      } catch (err) {
        if (!(err instanceof MongoServerError && NOT_IMPLEMENTED.has(Number(err.code)))) throw err;
        // Reads filter on `_ttl` anyway; only the server-side removal of expired documents is lost.
        this.#logger.warn(
          'state.mongodb: the server has no TTL indexes; expired documents stay invisible but are not removed',
          { error: err.message },
        );
      }
      if (!settings.replicaSet) {
        this.#logger.info('state.mongodb: connected without a replica set; transactions are not available');
      }
      this.#connection = { client, collection, settings };
    } catch (err) {
      await client.close().catch(() => {});
      throw new UnavailableError(
        `state.mongodb: error in connecting to mongodb at ${settings.target}: ${this.#scrub(settings, err)}`,
        { cause: err },
      );
    }
  }

  async ping(): Promise<void> {
    const { client, settings } = this.#ready();
    await this.#run(() => client.db(settings.databaseName).command({ ping: 1 }));
  }

  async get(request: GetRequest): Promise<GetResponse> {
    requireKey(request.key, 'get operation');
    const { collection } = this.#ready();
    const doc = await this.#run(() => collection.findOne({ $and: [{ _id: request.key }, live()] }));
    return doc === null ? {} : toResponse(doc);
  }

  /** One `$in` query; one item per requested key, in request order (missing keys carry only the key). */
  async bulkGet(requests: GetRequest[]): Promise<BulkGetItem[]> {
    if (requests.length === 0) return [];
    const keys = requests.map((r) => r.key);
    const { collection } = this.#ready();
    const docs = await this.#run(() =>
      collection.find({ $and: [{ _id: { $in: [...new Set(keys)] } }, live()] }).toArray(),
    );
    const found = new Map(docs.map((doc) => [doc._id, doc]));
    return keys.map((key) => {
      const doc = found.get(key);
      if (doc === undefined) return { key };
      try {
        return { key, ...toResponse(doc) };
      } catch (err) {
        return { key, error: (err as Error).message };
      }
    });
  }

  async set(request: SetRequest): Promise<void> {
    requireKey(request.key, 'set operation');
    const ttl = parseTtlInSeconds(request.metadata);
    const { collection } = this.#ready();
    const now = new Date();
    // Dapr's rule: ttlInSeconds > 0 expires; omitted, 0 or -1 never (contrib sets `_ttl` to now for 0 / -1).
    const expiresAt = expiryFromTtl(ttl, now.getTime());
    const fields = {
      value: encodeValue(request.value),
      _etag: newETag(),
      _ttl: expiresAt === undefined ? null : new Date(expiresAt),
    };
    const mismatch = () => new ETagMismatchError(`no document was written for key '${request.key}'`);
    if (hasETag(request.etag)) {
      // Only a live document with that ETag is updated; an ETag never creates a document.
      const result = await this.#run(() =>
        collection.updateOne({ $and: [{ _id: request.key, _etag: request.etag }, live(now)] }, { $set: fields }),
      );
      if (result.matchedCount !== 1) throw mismatch();
      return;
    }
    if (isFirstWrite(request.options)) {
      // Matches only an expired document (replaced); a live one makes the upsert collide on `_id` → mismatch.
      await this.#run(
        () => collection.updateOne({ _id: request.key, _ttl: { $lt: now } }, { $set: fields }, { upsert: true }),
        mismatch,
      );
      return;
    }
    await this.#run(() => collection.updateOne({ _id: request.key }, { $set: fields }, { upsert: true }));
  }

  async delete(request: DeleteRequest): Promise<void> {
    requireKey(request.key, 'delete operation');
    const { collection } = this.#ready();
    if (!hasETag(request.etag)) {
      await this.#run(() => collection.deleteOne({ _id: request.key }));
      return;
    }
    const result = await this.#run(() => collection.deleteOne({ _id: request.key, _etag: request.etag }));
    if (result.deletedCount !== 1) {
      throw new ETagMismatchError(`no document was deleted for key '${request.key}'`);
    }
  }

  async query(request: QueryRequest): Promise<QueryResponse> {
    const { filter, sort, skip, limit } = translateQuery(request.query);
    const { collection } = this.#ready();
    const where: Filter<StateDocument> = filter ? { $and: [filter as Filter<StateDocument>, live()] } : live();
    const docs = await this.#run(() => {
      let cursor = collection.find(where).sort(sort as [string, 1 | -1][]);
      if (skip > 0) cursor = cursor.skip(skip);
      if (limit > 0) cursor = cursor.limit(limit + 1);
      return cursor.toArray();
    });
    const hasMore = limit > 0 && docs.length > limit;
    const page = hasMore ? docs.slice(0, limit) : docs;
    return {
      items: page.map((doc) => ({ key: doc._id, data: decodeValue(doc.value), etag: doc._etag })),
      ...(hasMore ? { token: String(skip + limit) } : {}),
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    const connection = this.#connection;
    this.#connection = undefined;
    await connection?.client.close();
  }

  // ---------- internals ----------

  #ready(): Connection {
    if (this.#connection === undefined) {
      throw new FailedPreconditionError(this.#closed ? 'component is closed' : 'state.mongodb: init has not completed');
    }
    return this.#connection;
  }

  #scrub(settings: MongoSettings, err: unknown): string {
    let message = err instanceof Error ? err.message : String(err);
    if (settings.password) message = message.split(settings.password).join('***');
    return message;
  }

  /** Driver errors: duplicate `_id` → `onDuplicate()` (an ETag conflict), network/selection → retryable. */
  async #run<T>(work: () => Promise<T>, onDuplicate?: () => Error): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (onDuplicate && err instanceof MongoServerError && err.code === DUPLICATE_KEY) throw onDuplicate();
      if (err instanceof MongoError && err.name !== 'MongoServerError') {
        const settings = this.#connection?.settings;
        const message = settings ? this.#scrub(settings, err) : (err as Error).message;
        throw new UnavailableError(`state.mongodb: ${message}`, { cause: err });
      }
      throw err;
    }
  }
}

export function createMongoStateStore(options: MongoStateStoreOptions = {}): MongoStateStore {
  return new MongoStateStore(options);
}
