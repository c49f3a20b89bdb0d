import {
  type BulkPublishRequest,
  type BulkPublishResponse,
  DaprkitError,
  FailedPreconditionError,
  InvalidArgumentError,
  InvalidMetadataError,
  type Logger,
  type MessageHandler,
  type Metadata,
  type PublishRequest,
  type PubSub,
  type PubSubFeature,
  type SubscribeRequest,
  silentLogger,
  UnavailableError,
} from '@daprkit/component-sdk';
import { connectRedis, isTransientRedisError } from '@daprkit/redis-common';
import type { Redis } from 'ioredis';
import { DeliveryGate } from './delivery-gate.js';
import { HeldEntries } from './held-entries.js';
import { parseRedisStreamsSettings, type RedisStreamsSettings } from './metadata.js';
import { xaddArguments } from './stream-entries.js';
import { createGroup, StreamSubscription } from './subscription.js';

interface QueuedXadd {
  client: Redis;
  args: ReturnType<typeof xaddArguments>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface RedisStreamsPubSubOptions {
  logger?: Logger;
}

/** BLOCK of each read when readTimeout is disabled (-1). */
const DEFAULT_BLOCK_MS = 3000;

/**
 * `pubsub.redis` on Redis Streams (ioredis), sharing contrib's stream layout and consumer-group naming.
 * One shared connection publishes, acknowledges and reclaims; every subscription reads on its own
 * connection. Delivery is at-least-once: only a handler's success acknowledges (XACK) an entry.
 */
export class RedisStreamsPubSub implements PubSub {
  readonly #logger: Logger;
  readonly #subscriptions = new Set<StreamSubscription>();
  readonly #held = new HeldEntries();
  readonly #gate = new DeliveryGate();
  #client: Redis | undefined;
  #settings: RedisStreamsSettings | undefined;
  #closed = false;
  /** Publishes waiting for this turn's pipeline. */
  #xadds: QueuedXadd[] = [];

  constructor(options: RedisStreamsPubSubOptions = {}) {
    this.#logger = options.logger ?? silentLogger;
  }

  async init(properties: Metadata): Promise<void> {
    if (this.#closed) throw new FailedPreconditionError('component is closed');
    if (this.#client !== undefined) throw new FailedPreconditionError('component is already initialised');
    const settings = parseRedisStreamsSettings(properties);
    if (settings.connection.ignored.length > 0) {
      this.#logger.info('metadata accepted for compatibility but without effect', {
        fields: settings.connection.ignored,
      });
    }
    if (settings.conflictingTrims) {
      this.#logger.warn('both maxLenApprox and streamTTL are set; streams are trimmed by maxLenApprox only');
    }
    this.#client = await connectRedis(settings.connection, this.#logger);
    this.#settings = settings;
  }

  /** None of its own; BULK_PUBSUB follows from bulkPublish. */
  features(): readonly PubSubFeature[] {
    return [];
  }

  async ping(): Promise<void> {
    const client = this.#redis();
    try {
      await client.ping();
    } catch (err) {
      throw toPubSubError(err);
    }
  }

  async publish(request: PublishRequest): Promise<void> {
    const client = this.#redis();
    assertTopic(request.topic);
    assertBytes(request.data);
    const args = xaddArguments(request.topic, request.data, request.metadata ?? {}, this.#trim());
    try {
      await new Promise<void>((resolve, reject) => {
        this.#xadds.push({ client, args, resolve, reject });
        if (this.#xadds.length === 1) setImmediate(this.#sendXadds);
      });
    } catch (err) {
      throw toPubSubError(err);
    }
  }

  /**
   * The publishes of one event-loop turn leave as one pipeline (one write, one read for Redis) instead of a
   * command each; every caller still gets its own XADD's outcome. (ioredis's enableAutoPipelining would do
   * this, but it breaks `callBuffer`, which the subscriptions use.)
   */
  readonly #sendXadds = (): void => {
    const queued = this.#xadds;
    this.#xadds = [];
    const first = queued[0];
    if (first === undefined) return;
    if (queued.length === 1) {
      first.client.call('XADD', first.args).then(() => first.resolve(), first.reject);
      return;
    }
    const pipeline = first.client.pipeline();
    for (const q of queued) pipeline.call('XADD', q.args);
    pipeline.exec().then(
      (results) =>
        queued.forEach((q, i) => {
          const error = results?.[i]?.[0] ?? (results?.[i] === undefined ? new Error('no reply from redis') : null);
          if (error === null) q.resolve();
          else q.reject(error);
        }),
      (err: unknown) => {
        for (const q of queued) q.reject(err);
      },
    );
  };

  /**
   * One pipeline of XADDs (one round trip). Each failed entry is reported with its exact entryId; the others
   * stay published. Entry metadata wins over the request's.
   */
  async bulkPublish(request: BulkPublishRequest): Promise<BulkPublishResponse> {
    const client = this.#redis();
    assertTopic(request.topic);
    const failedEntries: BulkPublishResponse['failedEntries'] = [];
    const pipeline = client.pipeline();
    const queued: string[] = [];
    for (const entry of request.entries) {
      if (!(entry.event instanceof Uint8Array)) {
        failedEntries.push({ entryId: entry.entryId, error: 'event must be bytes' });
        continue;
      }
      const metadata = { ...request.metadata, ...entry.metadata };
      pipeline.call('XADD', xaddArguments(request.topic, entry.event, metadata, this.#trim()));
      queued.push(entry.entryId);
    }
    if (queued.length === 0) return { failedEntries };
    let results: [Error | null, unknown][] | null;
    try {
      results = await pipeline.exec();
    } catch (err) {
      throw toPubSubError(err);
    }
    queued.forEach((entryId, i) => {
      const error = results?.[i]?.[0] ?? (results?.[i] === undefined ? new Error('no reply from redis') : null);
      if (error !== null) failedEntries.push({ entryId, error: toPubSubError(error).message });
    });
    return { failedEntries };
  }

  /**
   * Returns once the consumer group exists and the subscription's reading connection is open. Aborting
   * `signal` stops exactly this subscription; its unacknowledged entries stay pending in Redis.
   */
  async subscribe(request: SubscribeRequest, handler: MessageHandler, signal: AbortSignal): Promise<void> {
    const client = this.#redis();
    const settings = this.#settings!;
    assertTopic(request.topic);
    const group = settings.consumerId;
    if (group === undefined) {
      throw new InvalidMetadataError('consumerID', 'is required to subscribe (daprd sets it to the app ID)');
    }
    if (signal.aborted) return;
    const blockMs = settings.connection.readTimeoutMs ?? DEFAULT_BLOCK_MS;
    const commandTimeoutMs = settings.connection.commandTimeoutMs;
    let reader: Redis;
    try {
      await createGroup(client, request.topic, group);
      reader = await connectRedis(settings.connection, this.#logger, {
        commandTimeout: commandTimeoutMs === undefined ? undefined : blockMs + commandTimeoutMs,
      });
    } catch (err) {
      throw toPubSubError(err);
    }
    if (signal.aborted || this.#closed) {
      reader.disconnect();
      return;
    }
    const subscription: StreamSubscription = new StreamSubscription(request.topic, handler, signal, {
      client,
      reader,
      group,
      consumer: group,
      processingTimeoutMs: settings.processingTimeoutMs,
      redeliverIntervalMs: settings.redeliverIntervalMs,
      fastRetry: settings.fastRetry,
      queueDepth: settings.queueDepth,
      concurrency: settings.concurrency,
      blockMs,
      held: this.#held,
      gate: this.#gate,
      logger: this.#logger,
      onStop: () => this.#subscriptions.delete(subscription),
    });
    this.#subscriptions.add(subscription);
    subscription.start();
  }

  /** Stops reading and handing out messages; handlers already running finish and are acknowledged. */
  async pause(): Promise<void> {
    this.#gate.pause();
  }

  async resume(): Promise<void> {
    this.#gate.resume();
  }

  /** Stops every subscription (their entries stay pending) and closes the connections. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const subscription of this.#subscriptions) subscription.stop();
    const client = this.#client;
    this.#client = undefined;
    if (client === undefined) return;
    try {
      await client.quit();
    } catch {
      client.disconnect(); // connection already broken: nothing left to flush
    }
  }

  #trim() {
    return this.#settings?.trim;
  }

  #redis(): Redis {
    if (this.#client !== undefined) return this.#client;
    throw new FailedPreconditionError(this.#closed ? 'component is closed' : 'component is not initialised');
  }
}

/** A bus ready for `init`. */
export function createRedisStreamsPubSub(options: RedisStreamsPubSubOptions = {}): RedisStreamsPubSub {
  return new RedisStreamsPubSub(options);
}

function assertTopic(topic: string): void {
  if (typeof topic !== 'string' || topic === '') throw new InvalidArgumentError('topic is required');
}

function assertBytes(data: unknown): void {
  if (!(data instanceof Uint8Array)) throw new InvalidArgumentError('message data must be bytes');
}

/** Transient trouble is retryable (Unavailable); other server replies (e.g. WRONGTYPE) are final. */
function toPubSubError(err: unknown): DaprkitError {
  if (DaprkitError.isInstance(err)) return err;
  const message = `redis: ${err instanceof Error ? err.message : String(err)}`;
  return isTransientRedisError(err)
    ? new UnavailableError(message, { cause: err })
    : new FailedPreconditionError(message, { cause: err });
}
