import { FailedPreconditionError, type Logger, UnavailableError } from '@daprkit/component-sdk';
import type { ChannelModel } from 'amqplib';
import { type AmqpEndpoint, connectAmqp, redactUrl } from './connect.js';

export interface AmqpSessionOptions {
  endpoint: AmqpEndpoint;
  /** Pause before each reconnect attempt after the connection is lost (contrib: reconnectWait). */
  reconnectWaitMs: number;
  logger: Logger;
  /** Log prefix, e.g. 'pubsub.rabbitmq'. */
  label: string;
  /** Metadata field named in connect errors. */
  field?: string;
}

/**
 * One AMQP connection that comes back: opened at `start()` (failing fast, so init reports a bad URI, credentials or
 * an unreachable broker), then reopened after `reconnectWaitMs` whenever the broker or network drops it, until
 * `close()`. Listeners registered with `onConnect` run after every (re)connect, in order; they re-create channels,
 * topology and consumers. Nothing is queued while disconnected: callers see `current()` undefined.
 */
export class AmqpSession {
  readonly #options: AmqpSessionOptions;
  readonly #listeners: ((model: ChannelModel) => Promise<void> | void)[] = [];
  #model: ChannelModel | undefined;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  #waiters: (() => void)[] = [];
  #generation = 0;

  constructor(options: AmqpSessionOptions) {
    this.#options = options;
  }

  /** Connects once; throws the connect error (Unavailable / FailedPrecondition) without retrying. */
  async start(): Promise<void> {
    await this.#open();
  }

  /** The live connection, or undefined while reconnecting. */
  current(): ChannelModel | undefined {
    return this.#model;
  }

  /** Increases on every successful (re)connect. */
  get generation(): number {
    return this.#generation;
  }

  get closed(): boolean {
    return this.#closed;
  }

  onConnect(listener: (model: ChannelModel) => Promise<void> | void): void {
    this.#listeners.push(listener);
  }

  /** Resolves with the live connection, waiting up to `timeoutMs` for a reconnect. */
  async connected(timeoutMs: number): Promise<ChannelModel> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#closed) throw new FailedPreconditionError('component is closed');
      if (this.#model !== undefined) return this.#model;
      const left = deadline - Date.now();
      if (left <= 0) throw new UnavailableError(`${this.#options.label}: channel/connection is not open`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async #open(): Promise<void> {
    const { endpoint, logger, label, field } = this.#options;
    const model = await connectAmqp(endpoint, field);
    if (this.#closed) {
      await model.close().catch(() => {});
      return;
    }
    model.on('error', (err: Error) => {
      logger.warn(`${label}: connection error`, { error: err.message });
    });
    model.on('close', () => {
      if (this.#model !== model) return;
      this.#model = undefined;
      if (this.#closed) return;
      logger.warn(`${label}: connection to ${redactUrl(endpoint.url)} lost; reconnecting`, {
        waitMs: this.#options.reconnectWaitMs,
      });
      this.#schedule();
    });
    model.on('blocked', (reason: string) => logger.warn(`${label}: broker blocked publishing`, { reason }));
    this.#model = model;
    this.#generation++;
    for (const wake of this.#waiters.splice(0)) wake();
    for (const listener of this.#listeners) {
      try {
        await listener(model);
      } catch (err) {
        logger.warn(`${label}: restoring after connect failed`, { error: (err as Error).message });
      }
    }
  }

  #schedule(): void {
    if (this.#closed || this.#timer !== undefined) return;
    this.#timer = setTimeout(
      async () => {
        this.#timer = undefined;
        if (this.#closed || this.#model !== undefined) return;
        try {
          await this.#open();
          this.#options.logger.info(`${this.#options.label}: reconnected`);
        } catch (err) {
          this.#options.logger.warn(`${this.#options.label}: reconnect failed; retrying`, {
            error: (err as Error).message,
          });
          this.#schedule();
        }
      },
      Math.max(this.#options.reconnectWaitMs, 100),
    );
  }

  /** Closes the connection and stops reconnecting. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const wake of this.#waiters.splice(0)) wake();
    const model = this.#model;
    this.#model = undefined;
    if (model !== undefined) await bounded(model.close());
  }
}

/** Waits for a close at most `ms` (a dead socket can leave amqplib waiting for a CloseOk that never comes). */
export async function bounded(closing: Promise<unknown>, ms = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    closing.catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}
