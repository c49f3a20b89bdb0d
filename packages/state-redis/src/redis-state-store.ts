import {
  type BulkGetItem,
  type DeleteRequest,
  FailedPreconditionError,
  type GetRequest,
  type GetResponse,
  type Logger,
  type Metadata,
  type SetRequest,
  StateFeature,
  type StateStore,
  silentLogger,
  type TransactionalStore,
  type TransactionRequest,
} from '@daprkit/component-sdk';
import { connectRedis } from '@daprkit/redis-common';
import { parseRedisSettings } from './metadata.js';
import { asBuffer, effectiveTtl, expectedVersion, firstWriteFlag, readItem, toStoreError } from './operations.js';
import { registerScripts, type ScriptedRedis, WRITE_ARGS_PER_OP } from './scripts.js';

export interface RedisStateStoreOptions {
  logger?: Logger;
}

const FEATURES: readonly StateFeature[] = [StateFeature.ETag, StateFeature.TTL];

/**
 * `state.redis` on ioredis, data-compatible with components-contrib (one hash per key: `data`, `version`,
 * `first-write`). Every write, single or transactional, is one atomic script call; reads fetch the value,
 * version and remaining TTL in one script call. Bulk set/delete use the SDK defaults (parallel singles,
 * which ioredis pipelines on its one connection).
 */
export class RedisStateStore implements StateStore, TransactionalStore {
  readonly #logger: Logger;
  #client: ScriptedRedis | undefined;
  #closed = false;
  #defaultTtlSeconds: number | undefined;

  constructor(options: RedisStateStoreOptions = {}) {
    this.#logger = options.logger ?? silentLogger;
  }

  async init(properties: Metadata): Promise<void> {
    if (this.#closed) throw new FailedPreconditionError('component is closed');
    if (this.#client !== undefined) throw new FailedPreconditionError('component is already initialised');
    const settings = parseRedisSettings(properties);
    if (settings.ignored.length > 0) {
      this.#logger.info('metadata accepted for compatibility but without effect', { fields: settings.ignored });
    }
    this.#defaultTtlSeconds = settings.defaultTtlSeconds;
    this.#client = registerScripts(await connectRedis(settings, this.#logger));
  }

  features(): readonly StateFeature[] {
    return FEATURES;
  }

  async ping(): Promise<void> {
    const client = this.#redis();
    try {
      await client.ping();
    } catch (err) {
      throw toStoreError(err, []);
    }
  }

  async get(request: GetRequest): Promise<GetResponse> {
    const client = this.#redis();
    let reply: Awaited<ReturnType<ScriptedRedis['stateReadBuffer']>>;
    try {
      reply = await client.stateReadBuffer(1, request.key);
    } catch (err) {
      throw toStoreError(err, [request.key]);
    }
    const response: GetResponse & { error?: string } = readItem({}, request.key, reply, 0, Date.now());
    if (response.error !== undefined) throw new FailedPreconditionError(response.error);
    return response;
  }

  /** One script call for all keys: one round trip, one consistent snapshot. */
  async bulkGet(requests: GetRequest[]): Promise<BulkGetItem[]> {
    if (requests.length === 0) return [];
    const client = this.#redis();
    const keys = requests.map((r) => r.key);
    let reply: Awaited<ReturnType<ScriptedRedis['stateReadBuffer']>>;
    try {
      reply = await client.stateReadBuffer(keys.length, keys);
    } catch (err) {
      throw toStoreError(err, keys);
    }
    const now = Date.now();
    return keys.map((key, i) => readItem<BulkGetItem>({ key }, key, reply, i, now));
  }

  async set(request: SetRequest): Promise<void> {
    const expected = expectedVersion(request.etag);
    const ttl = effectiveTtl(request.metadata, this.#defaultTtlSeconds);
    const client = this.#redis();
    try {
      await client.stateWrite(
        1,
        request.key,
        'set',
        expected,
        firstWriteFlag(request.options),
        ttl,
        asBuffer(request.value),
      );
    } catch (err) {
      throw toStoreError(err, [request.key]);
    }
  }

  async delete(request: DeleteRequest): Promise<void> {
    const expected = expectedVersion(request.etag);
    const client = this.#redis();
    try {
      await client.stateWrite(1, request.key, 'delete', expected, '', 0, '');
    } catch (err) {
      throw toStoreError(err, [request.key]);
    }
  }

  /**
   * All-or-nothing and in order: one script checks every ETag (and first-write) against the state as the
   * earlier operations leave it, and writes only if all pass. No per-transaction limit.
   */
  async transact(request: TransactionRequest): Promise<void> {
    const count = request.operations.length;
    if (count === 0) return;
    const keys = new Array<string>(count);
    const args = new Array<string | number | Buffer>(count * WRITE_ARGS_PER_OP);
    request.operations.forEach((op, i) => {
      const at = i * WRITE_ARGS_PER_OP;
      keys[i] = op.request.key;
      args[at + 1] = expectedVersion(op.request.etag);
      if (op.operation === 'upsert') {
        args[at] = 'set';
        args[at + 2] = firstWriteFlag(op.request.options);
        args[at + 3] = effectiveTtl(op.request.metadata, this.#defaultTtlSeconds);
        args[at + 4] = asBuffer(op.request.value);
      } else {
        args[at] = 'delete';
        args[at + 2] = '';
        args[at + 3] = 0;
        args[at + 4] = '';
      }
    });
    const client = this.#redis();
    try {
      await client.stateWrite(count, keys, args);
    } catch (err) {
      throw toStoreError(err, keys, true);
    }
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#closed = true;
    if (client === undefined) return;
    try {
      await client.quit();
    } catch {
      client.disconnect(); // connection already broken: nothing left to flush
    }
  }

  #redis(): ScriptedRedis {
    if (this.#client !== undefined) return this.#client;
    throw new FailedPreconditionError(this.#closed ? 'component is closed' : 'component is not initialised');
  }
}

/** A store ready for `init`. */
export function createRedisStateStore(options: RedisStateStoreOptions = {}): RedisStateStore {
  return new RedisStateStore(options);
}
