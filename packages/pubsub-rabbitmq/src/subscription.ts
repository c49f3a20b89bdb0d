import { randomUUID } from 'node:crypto';
import type { Logger, MessageHandler, Metadata, PubSubMessage } from '@daprkit/component-sdk';
import { type AmqpSession, bounded, headerText, isClosedError } from '@daprkit/rabbitmq-common';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { RabbitPubSubSettings } from './metadata.js';
import { declareSubscriptionTopology, type QueueDeclaration } from './topology.js';

export interface QueueSubscriptionOptions {
  topic: string;
  declaration: QueueDeclaration;
  handler: MessageHandler;
  signal: AbortSignal;
  session: AmqpSession;
  settings: RabbitPubSubSettings;
  logger: Logger;
  paused: () => boolean;
  onStop: () => void;
}

/** A failure that retrying cannot fix (the broker rejected the topology): subscribe reports it. */
export function isPermanentAmqpError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' && [403, 404, 406, 530, 540].includes(code);
}

/** How long after the first attempt a subscribe keeps retrying before it reports failure (as contrib: 1 min). */
const SUBSCRIBE_TIMEOUT_MS = 60_000;
/** Grace for handlers still running when a subscription stops, so their acks still reach the broker. */
const STOP_GRACE_MS = 1_000;
/** Pause before requeueing a message that already failed once, so a poison message cannot spin the CPU. */
const REQUEUE_REDELIVERED_DELAY_MS = 100;

/**
 * One subscription = one queue consumed on a channel of its own (its prefetch, cancel and channel errors touch no
 * other subscription). Every delivery is acknowledged only after the handler succeeded, on the channel it came
 * from; a failed handler nacks (requeue = requeueInFailure). Whatever is unacknowledged when a channel or the
 * connection dies — or the process is killed — the broker redelivers: no ack is sent early, so nothing is lost.
 * After a lost connection the subscription re-declares its topology and consumes again.
 */
export class QueueSubscription {
  readonly #o: QueueSubscriptionOptions;
  #channel: Channel | undefined;
  #consumerTag: string | undefined;
  #stopped = false;
  #inFlight = 0;
  #idle: (() => void)[] = [];
  /** single mode: deliveries waiting for the one running handler. */
  readonly #queue: { channel: Channel; message: ConsumeMessage }[] = [];
  #draining = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #connecting: Promise<void> | undefined;

  constructor(options: QueueSubscriptionOptions) {
    this.#o = options;
    options.signal.addEventListener('abort', this.stop, { once: true });
  }

  get queueName(): string {
    return this.#o.declaration.name;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /**
   * Declares and consumes; resolves once the consumer is registered. Transient trouble (no connection yet) is
   * retried for up to a minute; a topology the broker refuses fails at once.
   */
  async start(): Promise<void> {
    const deadline = Date.now() + SUBSCRIBE_TIMEOUT_MS;
    for (;;) {
      if (this.#stopped) return;
      try {
        await this.#session();
        return;
      } catch (err) {
        if (isPermanentAmqpError(err) || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, Math.min(this.#o.settings.reconnectWaitMs || 100, 1000)));
      }
    }
  }

  /** Called after the component's connection came back. */
  restore(): void {
    if (this.#stopped) return;
    this.#channel = undefined;
    void this.#reconsume();
  }

  async #reconsume(): Promise<void> {
    try {
      await this.#session();
      this.#o.logger.info('pubsub.rabbitmq: consuming again', { queue: this.queueName });
    } catch (err) {
      if (this.#stopped) return;
      this.#o.logger.warn('pubsub.rabbitmq: re-subscribing failed; retrying', {
        queue: this.queueName,
        error: (err as Error).message,
      });
      this.#retryLater();
    }
  }

  #retryLater(): void {
    if (this.#stopped || this.#retryTimer !== undefined) return;
    this.#retryTimer = setTimeout(
      () => {
        this.#retryTimer = undefined;
        if (this.#o.session.current() !== undefined && this.#channel === undefined) void this.#reconsume();
        // else: consuming again already, or the session's reconnect calls restore()
      },
      Math.max(this.#o.settings.reconnectWaitMs, 100),
    );
  }

  /** Opens a channel, declares the topology and consumes (one attempt). Serialised. */
  #session(): Promise<void> {
    this.#connecting ??= this.#openAndConsume().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #openAndConsume(): Promise<void> {
    const { session, settings, topic, declaration } = this.#o;
    if (this.#channel !== undefined) return; // consuming already (a retry that came after restore())
    const model = await session.connected(Math.max(settings.reconnectWaitMs * 2, 5000));
    const channel = await model.createChannel();
    channel.on('error', (err: Error) => {
      this.#o.logger.warn('pubsub.rabbitmq: channel error', { queue: this.queueName, error: err.message });
    });
    channel.on('close', () => {
      if (this.#channel !== channel) return;
      this.#channel = undefined;
      this.#consumerTag = undefined;
      // A channel closed on its own (queue deleted, channel error) is reopened after the reconnect wait; after a lost
      // connection, restore() usually comes first and this retry finds the subscription consuming again.
      if (!this.#stopped) this.#retryLater();
    });
    try {
      if (settings.prefetchCount > 0) await channel.prefetch(settings.prefetchCount, false);
      await declareSubscriptionTopology(channel, topic, declaration, settings);
      if (this.#stopped) {
        await channel.close().catch(() => {});
        return;
      }
      if (session.current() !== model) throw new Error('Connection closed while subscribing');
      this.#channel = channel;
      if (!this.#o.paused()) await this.#consume(channel);
    } catch (err) {
      if (this.#channel === channel) this.#channel = undefined;
      await channel.close().catch(() => {});
      throw err;
    }
  }

  async #consume(channel: Channel): Promise<void> {
    const tag = `${this.queueName}-${randomUUID()}`.slice(-255);
    this.#consumerTag = tag;
    await channel.consume(
      this.queueName,
      (message) => {
        if (message === null) {
          // The broker cancelled the consumer (queue deleted): consume again after the reconnect wait.
          if (this.#channel === channel && this.#consumerTag === tag) {
            this.#consumerTag = undefined;
            this.#o.logger.warn('pubsub.rabbitmq: the broker cancelled the consumer', { queue: this.queueName });
            this.#channel = undefined;
            channel.close().catch(() => {});
            this.#retryLater();
          }
          return;
        }
        this.#accept(channel, message);
      },
      { noAck: this.#o.settings.autoAck, consumerTag: tag },
    );
  }

  #accept(channel: Channel, message: ConsumeMessage): void {
    if (this.#stopped) return; // unacknowledged: redelivered once the channel closes
    if (this.#o.paused()) {
      // Arrived after pause(): held (auto-delete queues keep their consumer), or, after a cancel, back to the
      // queue for another replica or for after resume.
      if (this.#holdsWhilePaused() || this.#o.settings.autoAck) this.#queue.push({ channel, message });
      else this.#settle(channel, message, 'requeue');
      return;
    }
    if (this.#o.settings.single) {
      this.#queue.push({ channel, message });
      void this.#drain();
    } else {
      void this.#deliver(channel, message);
    }
  }

  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (!this.#stopped && !this.#o.paused()) {
        const next = this.#queue.shift();
        if (next === undefined) break;
        await this.#deliver(next.channel, next.message);
      }
    } finally {
      this.#draining = false;
    }
  }

  async #deliver(channel: Channel, message: ConsumeMessage): Promise<void> {
    this.#inFlight++;
    try {
      let failed: unknown;
      try {
        await this.#o.handler(this.#toMessage(message));
      } catch (err) {
        failed = err;
      }
      if (this.#o.settings.autoAck) return;
      if (failed === undefined) {
        this.#settle(channel, message, 'ack');
        return;
      }
      this.#o.logger.debug('pubsub.rabbitmq: handler failed', {
        topic: this.#o.topic,
        requeue: this.#o.settings.requeueInFailure,
        error: failed instanceof Error ? failed.message : String(failed),
      });
      if (!this.#o.settings.requeueInFailure) {
        this.#settle(channel, message, 'reject');
        return;
      }
      if (message.fields.redelivered) await new Promise((r) => setTimeout(r, REQUEUE_REDELIVERED_DELAY_MS));
      this.#settle(channel, message, 'requeue');
    } finally {
      this.#inFlight--;
      if (this.#inFlight === 0) for (const wake of this.#idle.splice(0)) wake();
    }
  }

  /** Acks/nacks on the channel that delivered the message; a closed channel means the broker redelivers it. */
  #settle(channel: Channel, message: ConsumeMessage, how: 'ack' | 'reject' | 'requeue'): void {
    try {
      if (how === 'ack') channel.ack(message);
      else channel.nack(message, false, how === 'requeue');
    } catch (err) {
      if (!isClosedError(err)) throw err;
      // The channel is gone: the broker has requeued the message already (a duplicate, never a loss).
    }
  }

  #toMessage(message: ConsumeMessage): PubSubMessage {
    const metadata: Metadata = {};
    if (this.#o.settings.publishMessagePropertiesToMetadata) {
      const p = message.properties;
      if (p.messageId) metadata['metadata.messageid'] = String(p.messageId);
      if (p.correlationId) metadata['metadata.correlationid'] = String(p.correlationId);
      if (p.type) metadata['metadata.type'] = String(p.type);
      if (p.contentType) metadata['metadata.contenttype'] = String(p.contentType);
      for (const [key, value] of Object.entries(p.headers ?? {})) {
        const text = headerText(value);
        if (text !== undefined) metadata[`metadata.${key}`] = text;
      }
    }
    return { data: message.content, topic: this.#o.topic, metadata };
  }

  /**
   * An auto-delete queue is deleted by the broker when its last consumer is cancelled, taking every message
   * published meanwhile with it: such a subscription keeps its consumer while paused and holds what arrives
   * (unacknowledged, so a crash still redelivers it) until resume.
   */
  #holdsWhilePaused(): boolean {
    return this.#o.declaration.autoDelete;
  }

  /**
   * Stops handing over messages: cancels the consumer (its unacknowledged, not yet handled deliveries go back to the
   * queue for other replicas), or, for an auto-delete queue, holds deliveries until resume.
   */
  async pause(): Promise<void> {
    if (this.#holdsWhilePaused()) return;
    const channel = this.#channel;
    const tag = this.#consumerTag;
    this.#consumerTag = undefined;
    if (channel !== undefined && tag !== undefined) await channel.cancel(tag).catch(() => {});
    if (!this.#o.settings.autoAck) {
      for (const held of this.#queue.splice(0)) this.#settle(held.channel, held.message, 'requeue');
    }
  }

  async resume(): Promise<void> {
    if (this.#stopped) return;
    const channel = this.#channel;
    if (this.#queue.length > 0) {
      if (this.#o.settings.single) void this.#drain();
      else for (const held of this.#queue.splice(0)) void this.#deliver(held.channel, held.message);
    }
    if (channel !== undefined && this.#consumerTag === undefined) {
      try {
        await this.#consume(channel);
      } catch (err) {
        this.#o.logger.warn('pubsub.rabbitmq: resuming failed; retrying', { error: (err as Error).message });
        this.#retryLater();
      }
    }
  }

  /** Idempotent. Cancels the consumer, lets running handlers finish (briefly), closes the channel. */
  readonly stop = (): void => {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#o.signal.removeEventListener('abort', this.stop);
    clearTimeout(this.#retryTimer);
    this.#queue.length = 0;
    const channel = this.#channel;
    const tag = this.#consumerTag;
    this.#channel = undefined;
    this.#consumerTag = undefined;
    this.#o.onStop();
    if (channel === undefined) return;
    void (async () => {
      if (tag !== undefined) await channel.cancel(tag).catch(() => {});
      if (this.#inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => this.#idle.push(resolve)),
          new Promise((r) => setTimeout(r, STOP_GRACE_MS)),
        ]);
      }
      await bounded(channel.close());
    })();
  };
}
