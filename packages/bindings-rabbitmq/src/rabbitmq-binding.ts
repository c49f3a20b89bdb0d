import {
  type BindingEventHandler,
  FailedPreconditionError,
  type InputBinding,
  InvalidArgumentError,
  type InvokeRequest,
  type InvokeResponse,
  type Logger,
  type Metadata,
  type OutputBinding,
  silentLogger,
  UnavailableError,
} from '@daprkit/component-sdk';
import {
  AmqpSession,
  bounded,
  isClosedError,
  parsePriority,
  parseTtlMs,
  publishPropertiesOf,
} from '@daprkit/rabbitmq-common';
import type { Channel, ConsumeMessage, Options } from 'amqplib';
import { parseRabbitBindingSettings, queryEscape, type RabbitBindingSettings } from './metadata.js';

export interface RabbitMQBindingOptions {
  logger?: Logger;
}

const LABEL = 'bindings.rabbitmq';
/** Pause before requeueing a message that already failed once, so a poison message cannot spin the CPU. */
const REQUEUE_REDELIVERED_DELAY_MS = 100;

/**
 * The connection, channel and queue both directions of `bindings.rabbitmq` share, as contrib: connect, set the
 * channel QoS (global), declare the queue with contrib's flags and arguments (so a daprd binding on the same queue
 * declares it identically). The channel and connection are reopened after `reconnectWaitInSeconds` when lost.
 */
class BindingCore {
  readonly logger: Logger;
  settings: RabbitBindingSettings | undefined;
  session: AmqpSession | undefined;
  channel: Channel | undefined;
  closed = false;
  readonly #restorers: (() => void)[] = [];
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(logger: Logger) {
    this.logger = logger;
  }

  async init(properties: Metadata): Promise<void> {
    if (this.closed) throw new FailedPreconditionError('component is closed');
    if (this.session !== undefined) throw new FailedPreconditionError('component is already initialised');
    const settings = parseRabbitBindingSettings(properties);
    const session = new AmqpSession({
      endpoint: settings.endpoint,
      reconnectWaitMs: settings.reconnectWaitMs,
      logger: this.logger,
      label: LABEL,
      field: 'host',
    });
    this.settings = settings;
    session.onConnect(async (model) => {
      if (this.session === undefined) return; // the first connect: init opens the channel itself
      await this.#openChannel(model).catch((err: unknown) => {
        this.logger.warn(`${LABEL}: reopening the channel failed; retrying`, { error: (err as Error).message });
        this.#retryChannel();
      });
    });
    await session.start();
    try {
      await this.#openChannel(session.current()!);
    } catch (err) {
      await session.close();
      throw new FailedPreconditionError(
        `${LABEL}: declaring queue ${settings.queueName} failed: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    this.session = session;
  }

  onRestore(restore: () => void): void {
    this.#restorers.push(restore);
  }

  async #openChannel(model: NonNullable<ReturnType<AmqpSession['current']>>): Promise<void> {
    const s = this.settings!;
    const channel = await model.createChannel();
    channel.on('error', (err: Error) => this.logger.warn(`${LABEL}: channel error`, { error: err.message }));
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.channel = undefined;
      if (!this.closed && this.session?.current() === model) this.#retryChannel();
    });
    try {
      if (s.prefetchCount > 0) await channel.prefetch(s.prefetchCount, true);
      await channel.assertQueue(s.queueName, {
        durable: s.durable,
        autoDelete: s.autoDelete,
        exclusive: s.exclusive,
        arguments: s.queueArguments,
      });
    } catch (err) {
      await channel.close().catch(() => {});
      throw err;
    }
    this.channel = channel;
    for (const restore of this.#restorers) restore();
  }

  #retryChannel(): void {
    if (this.closed || this.#retryTimer !== undefined) return;
    this.#retryTimer = setTimeout(
      () => {
        this.#retryTimer = undefined;
        const model = this.session?.current();
        if (model === undefined || this.closed || this.channel !== undefined) return;
        this.#openChannel(model).catch((err: unknown) => {
          this.logger.warn(`${LABEL}: reopening the channel failed; retrying`, { error: (err as Error).message });
          this.#retryChannel();
        });
      },
      Math.max(this.settings!.reconnectWaitMs, 100),
    );
  }

  live(): Channel {
    if (this.session === undefined) {
      throw new FailedPreconditionError(this.closed ? 'component is closed' : 'component is not initialised');
    }
    if (this.channel === undefined) throw new UnavailableError('channel/connection is not open');
    return this.channel;
  }

  async ping(): Promise<void> {
    this.live();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.#retryTimer);
    const session = this.session;
    const channel = this.channel;
    this.session = undefined;
    this.channel = undefined;
    // The channel first: amqplib flushes a channel's pending publishes before its close, but a connection close
    // could overtake them.
    if (channel !== undefined) await bounded(channel.close());
    await session?.close();
  }
}

/**
 * Output `bindings.rabbitmq`: `create` (the only operation listed; any operation publishes, as contrib) sends the
 * data to the queue through the default exchange, persistent, with every request metadata entry as a string header.
 */
export class RabbitMQOutputBinding implements OutputBinding {
  readonly #core: BindingCore;

  constructor(options: RabbitMQBindingOptions = {}) {
    this.#core = new BindingCore(options.logger ?? silentLogger);
  }

  init(properties: Metadata): Promise<void> {
    return this.#core.init(properties);
  }

  ping(): Promise<void> {
    return this.#core.ping();
  }

  operations(): readonly string[] {
    return ['create'];
  }

  async invoke(request: InvokeRequest): Promise<InvokeResponse> {
    const channel = this.#core.live();
    if (!(request.data instanceof Uint8Array)) throw new InvalidArgumentError('data must be bytes');
    const metadata = request.metadata ?? {};
    const ttlMs = parseTtlMs(metadata);
    const priority = parsePriority(metadata);
    const properties = publishPropertiesOf(metadata);
    const options: Options.Publish = {
      deliveryMode: 2,
      contentType: properties.contentType ?? 'text/plain',
      headers: { ...metadata },
      ...(ttlMs !== undefined ? { expiration: String(ttlMs) } : {}),
      ...(priority !== undefined ? { priority } : {}),
      ...(properties.messageId ? { messageId: properties.messageId } : {}),
      ...(properties.correlationId ? { correlationId: properties.correlationId } : {}),
      ...(properties.type ? { type: properties.type } : {}),
    };
    const content = Buffer.from(request.data.buffer, request.data.byteOffset, request.data.byteLength);
    try {
      if (!channel.sendToQueue(this.#core.settings!.queueName, content, options)) {
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
    } catch (err) {
      if (isClosedError(err)) throw new UnavailableError('channel/connection is not open', { cause: err });
      throw err;
    }
    return {};
  }

  close(): Promise<void> {
    return this.#core.close();
  }
}

/**
 * Input `bindings.rabbitmq`: consumes the queue with manual acks, one message at a time in arrival order. The
 * handler's success acks; a failure nacks with requeue (redelivered at once, as contrib, after a 100 ms pause for a
 * message that already failed). A closed channel or connection is reopened and consumption resumes.
 */
export class RabbitMQInputBinding implements InputBinding {
  readonly #core: BindingCore;
  #handler: BindingEventHandler | undefined;
  #signal: AbortSignal | undefined;
  #consumer: { channel: Channel; tag: string } | undefined;
  readonly #queue: { channel: Channel; message: ConsumeMessage }[] = [];
  #draining = false;

  constructor(options: RabbitMQBindingOptions = {}) {
    this.#core = new BindingCore(options.logger ?? silentLogger);
    this.#core.onRestore(() => {
      if (this.#handler !== undefined && !this.#signal?.aborted) {
        this.#consume().catch((err: unknown) =>
          this.#core.logger.warn(`${LABEL}: consuming again failed`, { error: (err as Error).message }),
        );
      }
    });
  }

  init(properties: Metadata): Promise<void> {
    return this.#core.init(properties);
  }

  ping(): Promise<void> {
    return this.#core.ping();
  }

  async read(handler: BindingEventHandler, signal: AbortSignal): Promise<void> {
    this.#core.live();
    if (this.#handler !== undefined) throw new FailedPreconditionError(`${LABEL}: read was already called`);
    this.#handler = handler;
    this.#signal = signal;
    signal.addEventListener('abort', () => void this.#stop(), { once: true });
    await this.#consume();
  }

  async #consume(): Promise<void> {
    const channel = this.#core.live();
    if (this.#consumer?.channel === channel) return;
    const reply = await channel.consume(
      this.#core.settings!.queueName,
      (message) => {
        if (message === null) {
          // Cancelled by the broker (queue deleted): reopen the channel after the reconnect wait.
          if (this.#consumer?.channel === channel) this.#consumer = undefined;
          channel.close().catch(() => {});
          return;
        }
        if (this.#signal?.aborted) return;
        this.#queue.push({ channel, message });
        void this.#drain();
      },
      { noAck: false },
    );
    this.#consumer = { channel, tag: reply.consumerTag };
  }

  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) {
        if (this.#signal?.aborted) break;
        await this.#deliver(next.channel, next.message);
      }
    } finally {
      this.#draining = false;
    }
  }

  async #deliver(channel: Channel, message: ConsumeMessage): Promise<void> {
    const metadata: Metadata = {};
    for (const [key, value] of Object.entries(message.properties.headers ?? {})) {
      if (typeof value === 'string') metadata[queryEscape(key)] = value;
    }
    let failed: unknown;
    try {
      await this.#handler!({ data: message.content, metadata });
    } catch (err) {
      failed = err;
    }
    try {
      if (failed === undefined) channel.ack(message);
      else {
        this.#core.logger.debug(`${LABEL}: handler failed; requeueing`, { error: (failed as Error).message });
        if (message.fields.redelivered) await new Promise((r) => setTimeout(r, REQUEUE_REDELIVERED_DELAY_MS));
        channel.nack(message, false, true);
      }
    } catch (err) {
      if (!isClosedError(err)) throw err;
      // the channel is gone: the broker redelivers the message
    }
  }

  async #stop(): Promise<void> {
    const consumer = this.#consumer;
    this.#consumer = undefined;
    this.#queue.length = 0;
    if (consumer !== undefined) await consumer.channel.cancel(consumer.tag).catch(() => {});
  }

  async close(): Promise<void> {
    await this.#stop();
    await this.#core.close();
  }
}

export function createRabbitMQOutputBinding(options: RabbitMQBindingOptions = {}): RabbitMQOutputBinding {
  return new RabbitMQOutputBinding(options);
}

export function createRabbitMQInputBinding(options: RabbitMQBindingOptions = {}): RabbitMQInputBinding {
  return new RabbitMQInputBinding(options);
}
