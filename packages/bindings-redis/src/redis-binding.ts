import {
  DaprkitError,
  FailedPreconditionError,
  InvalidArgumentError,
  type InvokeRequest,
  type InvokeResponse,
  type Logger,
  type Metadata,
  type OutputBinding,
  silentLogger,
  tryGetBindingTtlMs,
  UnavailableError,
} from '@daprkit/component-sdk';
import { connectRedis, isTransientRedisError, type RedisConnectionSettings } from '@daprkit/redis-common';
import type { Redis } from 'ioredis';
import { parseRedisBindingSettings } from './metadata.js';

export const REDIS_BINDING_OPERATIONS = ['create', 'get', 'delete', 'increment'] as const;

/**
 * `bindings.redis`: plain string keys, used verbatim (no prefix). `create` = SET (+EXPIRE), `get` = GET (GETDEL
 * with `delete: "true"`), `delete` = DEL, `increment` = INCR (+EXPIRE); `ttl`/`ttlInSeconds` request metadata.
 */
export class RedisBinding implements OutputBinding {
  private client: Redis | undefined;
  private settings: RedisConnectionSettings | undefined;
  private readonly logger: Logger;

  constructor(options: { logger?: Logger } = {}) {
    this.logger = options.logger ?? silentLogger;
  }

  async init(properties: Metadata): Promise<void> {
    const settings = parseRedisBindingSettings(properties);
    if (settings.ignored.length > 0) this.logger.info('metadata ignored', { fields: settings.ignored });
    try {
      this.client = await connectRedis(settings, this.logger);
    } catch (err) {
      const e = err as DaprkitError;
      throw new DaprkitError(
        e.code,
        `redis binding: error connecting to redis at ${settings.host}:${settings.port}: ${e.message}`,
        { cause: err },
      );
    }
    this.settings = settings;
  }

  async ping(): Promise<void> {
    const client = this.require();
    try {
      await client.ping();
    } catch (err) {
      throw new UnavailableError(
        `redis binding: error connecting to redis at ${this.settings!.host}:${this.settings!.port}: ${(err as Error).message}`,
      );
    }
  }

  operations(): readonly string[] {
    return REDIS_BINDING_OPERATIONS;
  }

  private require(): Redis {
    if (this.client === undefined) throw new FailedPreconditionError('redis binding is not initialised or closed');
    return this.client;
  }

  async invoke(request: InvokeRequest): Promise<InvokeResponse> {
    const client = this.require();
    const metadata = request.metadata ?? {};
    const key = metadata.key;
    if (key === undefined || key === '')
      throw new InvalidArgumentError('redis binding: missing key in request metadata');
    if (!(REDIS_BINDING_OPERATIONS as readonly string[]).includes(request.operation)) {
      throw new InvalidArgumentError(`invalid operation type: ${request.operation}`);
    }
    const ttlMs =
      request.operation === 'create' || request.operation === 'increment' ? tryGetBindingTtlMs(metadata) : undefined;
    try {
      switch (request.operation) {
        case 'create':
          await client.set(key, Buffer.from(request.data.buffer, request.data.byteOffset, request.data.byteLength));
          await this.expire(client, key, ttlMs);
          return {};
        case 'get': {
          const value = metadata.delete === 'true' ? await client.getdelBuffer(key) : await client.getBuffer(key);
          return value === null ? {} : { data: new Uint8Array(value) };
        }
        case 'delete':
          await client.del(key);
          return {};
        default:
          await client.incr(key);
          await this.expire(client, key, ttlMs);
          return {};
      }
    } catch (err) {
      if (DaprkitError.isInstance(err)) throw err;
      const message = (err as Error).message;
      if (isTransientRedisError(err))
        throw new UnavailableError(`redis binding: ${request.operation}: ${message}`, { cause: err });
      throw new DaprkitError(2, `redis binding: ${request.operation}: ${message}`, { cause: err });
    }
  }

  /** contrib applies the TTL after the write, in whole seconds (so `500ms` → EXPIRE 0, which deletes the key). */
  private async expire(client: Redis, key: string, ttlMs: number | undefined): Promise<void> {
    if (ttlMs === undefined) return;
    await client.expire(key, Math.trunc(ttlMs / 1000));
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) await client.quit().catch(() => client.disconnect());
  }
}
