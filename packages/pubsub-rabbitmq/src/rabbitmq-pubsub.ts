import {
  DaprkitError,
  FailedPreconditionError,
  InvalidArgumentError,
  type Logger,
  type MessageHandler,
  type Metadata,
  type PublishRequest,
  type PubSub,
  PubSubFeature,
  type SubscribeRequest,
  silentLogger,
  UnavailableError,
} from '@daprkit/component-sdk';
import {
  AmqpSession,
  bounded,
  isClosedError,
  metadataValue,
  parsePriority,
  parseTtlMs,
  publishPropertiesOf,
} from '@daprkit/rabbitmq-common';
import type { Channel, ConfirmChannel, Options } from 'amqplib';
import { parseRabbitPubSubSettings, type RabbitPubSubSettings } from './metadata.js';
import { isPermanentAmqpError, QueueSubscription } from './subscription.js';
import { queueDeclaration, queueNameOf } from './topology.js';

export interface RabbitMQPubSubOptions {
  logger?: Logger;
}

/** contrib: up to 3 publish attempts, 2 s apart (the reconnect wait when the channel is gone). */
const PUBLISH_ATTEMPTS = 3;
const PUBLISH_RETRY_MS = 2000;

/**
 * `pubsub.rabbitmq` on amqplib with contrib's topology: one exchange per topic (kind `exchangeKind`), one queue per
 * (consumerID, topic) named `<consumerID>-<topic>`, so every replica of an app — daprd's or ours — competes on the
 * same queue and each app gets every message. One connection per component (reconnecting), one channel for
 * publishing and one per subscription. At-least-once: a message is acknowledged only after its handler succeeded.
 */
export class RabbitMQPubSub implements PubSub {
  readonly #logger: Logger;
  readonly #subscriptions = new Set<QueueSubscription>();
  #settings: RabbitPubSubSettings | undefined;
  #session: AmqpSession | undefined;
  #publishChannel: Promise<Channel> | undefined;
  /** Exchanges declared on the current publish channel (contrib caches them per connection). */
  #declared = new Set<string>();
  #paused = false;
  #closed = false;

  constructor(options: RabbitMQPubSubOptions = {}) {
    this.#logger = options.logger ?? silentLogger;
  }

  async init(properties: Metadata): Promise<void> {
    if (this.#closed) throw new FailedPreconditionError('component is closed');
    if (this.#session !== undefined) throw new FailedPreconditionError('component is already initialised');
    const settings = parseRabbitPubSubSettings(properties, this.#logger);
    const session = new AmqpSession({
      endpoint: settings.endpoint,
      reconnectWaitMs: settings.reconnectWaitMs,
      logger: this.#logger,
      label: 'pubsub.rabbitmq',
      field: 'connectionString',
    });
    session.onConnect(() => {
      this.#publishChannel = undefined;
      this.#declared = new Set();
      for (const subscription of this.#subscriptions) subscription.restore();
    });
    await session.start();
    this.#settings = settings;
    this.#session = session;
  }

  features(): readonly PubSubFeature[] {
    return [PubSubFeature.MessageTTL];
  }

  async ping(): Promise<void> {
    const session = this.#live();
    if (session.current() === undefined) throw new UnavailableError('pubsub.rabbitmq: channel/connection is not open');
  }

  async publish(request: PublishRequest): Promise<void> {
    const session = this.#live();
    const settings = this.#settings!;
    if (typeof request.topic !== 'string' || request.topic === '') throw new InvalidArgumentError('topic is required');
    if (!(request.data instanceof Uint8Array)) throw new InvalidArgumentError('message data must be bytes');
    const metadata = request.metadata ?? {};
    const options = this.#publishOptions(metadata, settings);
    const routingKey = metadataValue(metadata, 'routingKey') || '';
    const content = Buffer.isBuffer(request.data)
      ? request.data
      : Buffer.from(request.data.buffer, request.data.byteOffset, request.data.byteLength);
    for (let attempt = 1; ; attempt++) {
      try {
        const channel = await this.#channelForPublish(session);
        await this.#ensureExchange(channel, request.topic, settings);
        await this.#send(channel, request.topic, routingKey, content, options, settings.publisherConfirm);
        return;
      } catch (err) {
        if (this.#closed) throw new FailedPreconditionError('component is closed');
        if (isPermanentAmqpError(err)) {
          throw new FailedPreconditionError(`pubsub.rabbitmq: publishing to ${request.topic} failed: ${text(err)}`, {
            cause: err,
          });
        }
        if (attempt >= PUBLISH_ATTEMPTS) {
          throw new UnavailableError(`pubsub.rabbitmq: publishing to ${request.topic} failed: ${text(err)}`, {
            cause: err,
          });
        }
        const gone = session.current() === undefined;
        this.#logger.warn('pubsub.rabbitmq: publishing failed; retrying', {
          topic: request.topic,
          attempt,
          error: text(err),
        });
        await new Promise((r) => setTimeout(r, gone ? Math.max(settings.reconnectWaitMs, 100) : PUBLISH_RETRY_MS));
      }
    }
  }

  #publishOptions(metadata: Metadata, settings: RabbitPubSubSettings): Options.Publish {
    let ttlMs: number | undefined;
    try {
      ttlMs = parseTtlMs(metadata);
    } catch (err) {
      // contrib logs and ignores an unparseable request TTL.
      this.#logger.warn('pubsub.rabbitmq: ignoring the request ttl', { error: text(err) });
    }
    let priority: number | undefined;
    try {
      priority = parsePriority(metadata);
    } catch (err) {
      this.#logger.warn('pubsub.rabbitmq: ignoring the request priority', { error: text(err) });
    }
    const expirationMs = ttlMs ?? settings.defaultTtlMs;
    const properties = publishPropertiesOf(metadata);
    return {
      contentType: properties.contentType ?? 'text/plain',
      ...(settings.deliveryMode > 0 ? { deliveryMode: settings.deliveryMode } : {}),
      ...(expirationMs !== undefined ? { expiration: String(expirationMs) } : {}),
      ...(priority !== undefined ? { priority } : {}),
      ...(properties.messageId ? { messageId: properties.messageId } : {}),
      ...(properties.correlationId ? { correlationId: properties.correlationId } : {}),
      ...(properties.type ? { type: properties.type } : {}),
    };
  }

  #channelForPublish(session: AmqpSession): Promise<Channel> {
    if (this.#publishChannel !== undefined) return this.#publishChannel;
    const confirm = this.#settings!.publisherConfirm;
    const opening = (async () => {
      const model = await session.connected(Math.max(this.#settings!.reconnectWaitMs, 1000));
      const channel: Channel = confirm ? await model.createConfirmChannel() : await model.createChannel();
      channel.on('error', (err: Error) =>
        this.#logger.warn('pubsub.rabbitmq: publish channel error', { error: err.message }),
      );
      channel.on('close', () => {
        if (this.#publishChannel === opening) {
          this.#publishChannel = undefined;
          this.#declared = new Set();
        }
      });
      return channel;
    })();
    this.#publishChannel = opening;
    opening.catch(() => {
      if (this.#publishChannel === opening) this.#publishChannel = undefined;
    });
    return opening;
  }

  async #ensureExchange(channel: Channel, topic: string, settings: RabbitPubSubSettings): Promise<void> {
    if (this.#declared.has(topic)) return;
    await channel.assertExchange(topic, settings.exchangeKind, {
      durable: settings.durable,
      autoDelete: settings.autoDelete,
    });
    this.#declared.add(topic);
  }

  async #send(
    channel: Channel,
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish,
    confirm: boolean,
  ): Promise<void> {
    if (confirm) {
      await new Promise<void>((resolve, reject) => {
        (channel as ConfirmChannel).publish(exchange, routingKey, content, options, (err) =>
          err
            ? reject(new UnavailableError('pubsub.rabbitmq: the broker did not confirm the message (nack)'))
            : resolve(),
        );
      });
      return;
    }
    if (!channel.publish(exchange, routingKey, content, options)) {
      // The socket buffer is full: wait until it drains (or the channel dies).
      await new Promise<void>((resolve) => {
        const done = () => {
          channel.off('drain', done);
          channel.off('close', done);
          resolve();
        };
        channel.on('drain', done);
        channel.on('close', done);
      });
    }
  }

  /**
   * Declares the subscription's queue and starts consuming; returns once the consumer is registered (waiting up to a
   * minute for the broker). Aborting `signal` cancels exactly this consumer; its unacknowledged messages are
   * redelivered by the broker.
   */
  async subscribe(request: SubscribeRequest, handler: MessageHandler, signal: AbortSignal): Promise<void> {
    const session = this.#live();
    const settings = this.#settings!;
    if (typeof request.topic !== 'string' || request.topic === '') throw new InvalidArgumentError('topic is required');
    const metadata = request.metadata ?? {};
    const queueName = queueNameOf(request.topic, metadata, settings.consumerId);
    const declaration = queueDeclaration(queueName, metadata, settings);
    if (signal.aborted) return;
    const subscription: QueueSubscription = new QueueSubscription({
      topic: request.topic,
      declaration,
      handler,
      signal,
      session,
      settings,
      logger: this.#logger,
      paused: () => this.#paused,
      onStop: () => this.#subscriptions.delete(subscription),
    });
    this.#subscriptions.add(subscription);
    try {
      await subscription.start();
    } catch (err) {
      subscription.stop();
      if (DaprkitError.isInstance(err)) throw err;
      const message = `pubsub.rabbitmq: failed to subscribe to ${queueName}: ${text(err)}`;
      throw isPermanentAmqpError(err) || isClosedError(err)
        ? new FailedPreconditionError(message, { cause: err })
        : new UnavailableError(message, { cause: err });
    }
  }

  /** Cancels every consumer (channels stay open, running handlers finish and are acknowledged). */
  async pause(): Promise<void> {
    if (this.#paused) return;
    this.#paused = true;
    await Promise.all([...this.#subscriptions].map((s) => s.pause()));
  }

  async resume(): Promise<void> {
    if (!this.#paused) return;
    this.#paused = false;
    await Promise.all([...this.#subscriptions].map((s) => s.resume()));
  }

  /** Stops every subscription and closes the connection. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const subscription of this.#subscriptions) subscription.stop();
    const session = this.#session;
    this.#session = undefined;
    // The publish channel first: amqplib flushes its pending publishes before the channel close, while a
    // connection close could overtake them.
    const publishing = this.#publishChannel;
    this.#publishChannel = undefined;
    if (publishing !== undefined) {
      const channel = await publishing.catch(() => undefined);
      if (channel !== undefined) await bounded(channel.close());
    }
    await session?.close();
  }

  #live(): AmqpSession {
    if (this.#session !== undefined) return this.#session;
    throw new FailedPreconditionError(this.#closed ? 'component is closed' : 'component is not initialised');
  }
}

export function createRabbitMQPubSub(options: RabbitMQPubSubOptions = {}): RabbitMQPubSub {
  return new RabbitMQPubSub(options);
}

function text(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
