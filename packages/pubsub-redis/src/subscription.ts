import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger, MessageHandler } from '@daprkit/component-sdk';
import type { Redis } from 'ioredis';
import type { DeliveryGate } from './delivery-gate.js';
import type { HeldEntries } from './held-entries.js';
import { entriesOfRead, parseAutoClaim, type StreamEntry, toMessage } from './stream-entries.js';

export interface StreamSubscriptionOptions {
  /** Shared connection: acks, claims and group management (never blocks). */
  client: Redis;
  /** This subscription's own connection for blocking reads; disconnected on stop. */
  reader: Redis;
  group: string;
  consumer: string;
  /** 0 disables reclaiming. */
  processingTimeoutMs: number;
  /** 0 disables reclaiming. */
  redeliverIntervalMs: number;
  /** A rejected entry is handed over again after a backoff; otherwise it waits, pending, for the reclaim. */
  fastRetry: boolean;
  queueDepth: number;
  concurrency: number;
  /** BLOCK of each read. */
  blockMs: number;
  held: HeldEntries;
  gate: DeliveryGate;
  logger: Logger;
  /** Called once when the subscription stops, whatever stopped it. */
  onStop: () => void;
}

const READ_RETRY_DELAY_MS = 1000;
const NACK_RETRY_FIRST_DELAY_MS = 100;
const NACK_RETRY_MAX_DELAY_MS = 5000;

/**
 * Wait before a rejected message is handed over again: doubling from 100 ms up to 5 s, and below half the
 * processingTimeout so the entry is re-claimed (its idle time reset) before other consumers may take it.
 */
export function nackRetryDelayMs(failures: number, processingTimeoutMs: number): number {
  const cap =
    processingTimeoutMs > 0 ? Math.min(NACK_RETRY_MAX_DELAY_MS, processingTimeoutMs / 2) : NACK_RETRY_MAX_DELAY_MS;
  return Math.min(NACK_RETRY_FIRST_DELAY_MS * 2 ** (failures - 1), cap);
}

/** Creates the consumer group at `0` (a new group gets the whole stream, as contrib), creating the stream too. */
export async function createGroup(client: Redis, topic: string, group: string): Promise<void> {
  try {
    await client.call('XGROUP', 'CREATE', topic, group, '0', 'MKSTREAM');
  } catch (err) {
    if (!(err instanceof Error && err.message.startsWith('BUSYGROUP'))) throw err;
  }
}

/**
 * One subscription to one stream in the component's consumer group. Three kinds of loop:
 * - a reader: first this consumer's own pending entries (`XREADGROUP … 0`, so a restart redelivers at once),
 *   then new ones (`>`), on its own connection so blocking reads never stall publishes;
 * - a reclaimer: every redeliverInterval, `XAUTOCLAIM` of entries idle for processingTimeout (crashed or
 *   stuck consumers, including ourselves before a restart);
 * - `concurrency` workers handing buffered entries to the handler: success is `XACK`ed, a rejection leaves
 *   the entry pending: as contrib, the reclaimer hands it over again once idle for processingTimeout; with
 *   `fastRetry`, it is handed over again after a short backoff.
 * Stopping drops what is buffered; everything not acknowledged stays pending in Redis for later reclaiming.
 */
export class StreamSubscription {
  readonly #handler: MessageHandler;
  readonly #signal: AbortSignal;
  readonly #options: StreamSubscriptionOptions;
  readonly #lifetime = new AbortController();
  readonly #whenStopped: Promise<void>;
  readonly #buffer: StreamEntry[] = [];
  /** Entries this subscription holds in `HeldEntries`, released on ack, loss or stop. */
  readonly #mine = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #retryTimers = new Set<NodeJS.Timeout>();
  #idleWorkers: (() => void)[] = [];
  #readerWaiting: (() => void) | undefined;
  /** Acknowledged ids waiting for this turn's XACK. */
  #acks: string[] = [];

  constructor(
    readonly topic: string,
    handler: MessageHandler,
    signal: AbortSignal,
    options: StreamSubscriptionOptions,
  ) {
    this.#handler = handler;
    this.#signal = signal;
    this.#options = options;
    this.#whenStopped = new Promise((resolve) => {
      this.#lifetime.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    signal.addEventListener('abort', this.stop, { once: true });
  }

  get stopped(): boolean {
    return this.#lifetime.signal.aborted;
  }

  start(): void {
    const { processingTimeoutMs, redeliverIntervalMs, concurrency } = this.#options;
    this.#run('read', this.#readLoop());
    if (processingTimeoutMs > 0 && redeliverIntervalMs > 0) this.#run('reclaim', this.#reclaimLoop());
    for (let i = 0; i < concurrency; i++) this.#run('deliver', this.#workLoop());
  }

  /** Idempotent. Buffered and retrying entries stay pending in Redis. */
  readonly stop = (): void => {
    if (this.stopped) return;
    this.#signal.removeEventListener('abort', this.stop);
    this.#lifetime.abort();
    this.#options.reader.disconnect(); // ends a blocking read at once
    this.#flushAcks(); // handled entries are acked on the shared connection, which stays up
    for (const timer of this.#retryTimers) clearTimeout(timer);
    this.#retryTimers.clear();
    this.#buffer.length = 0;
    for (const id of this.#mine) this.#options.held.release(this.topic, id);
    this.#mine.clear();
    this.#failures.clear();
    for (const wake of this.#idleWorkers) wake();
    this.#idleWorkers = [];
    this.#readerWaiting?.();
    this.#options.onStop();
  };

  #run(loop: string, running: Promise<void>): void {
    running.catch((err: unknown) => {
      this.#options.logger.error('pubsub.redis: subscription loop failed', {
        topic: this.topic,
        loop,
        error: text(err),
      });
      this.stop();
    });
  }

  async #readLoop(): Promise<void> {
    const { reader, group, consumer, queueDepth, blockMs, logger } = this.#options;
    // Own pending entries first (from a previous run with the same consumer name), then new ones.
    let position = '0';
    let failing = false;
    while (await this.#readable()) {
      const count = queueDepth - this.#buffer.length;
      let entries: StreamEntry[];
      try {
        const args = ['GROUP', group, consumer, 'COUNT', count];
        const reply =
          position === '>'
            ? await reader.callBuffer('XREADGROUP', ...args, 'BLOCK', blockMs, 'STREAMS', this.topic, '>')
            : await reader.callBuffer('XREADGROUP', ...args, 'STREAMS', this.topic, position);
        entries = entriesOfRead(reply);
      } catch (readError) {
        if (this.stopped) return;
        let err = readError;
        if (isNoGroup(err)) {
          logger.warn('pubsub.redis: consumer group vanished; recreating it at the start of the stream', {
            topic: this.topic,
          });
          err = await createGroup(this.#options.client, this.topic, group).catch((createError: unknown) => createError);
          if (err === undefined) continue;
        }
        if (!failing) logger.warn('pubsub.redis: reading failed; retrying', { topic: this.topic, error: text(err) });
        failing = true;
        await this.#sleep(READ_RETRY_DELAY_MS);
        continue;
      }
      if (failing) logger.info('pubsub.redis: reading again', { topic: this.topic });
      failing = false;
      if (position !== '>') position = entries.length === 0 ? '>' : entries[entries.length - 1]!.id;
      this.#accept(entries);
    }
  }

  async #reclaimLoop(): Promise<void> {
    while (!this.stopped) {
      if (this.#options.gate.whenOpen() === undefined) {
        try {
          await this.#reclaim();
        } catch (err) {
          if (this.stopped) return;
          this.#options.logger.warn('pubsub.redis: reclaiming pending messages failed', {
            topic: this.topic,
            error: text(err),
          });
        }
      }
      await this.#sleep(this.#options.redeliverIntervalMs);
    }
  }

  /** Claims, page by page, every entry idle for processingTimeout, as far as the buffer has room. */
  async #reclaim(): Promise<void> {
    const { client, group, consumer, processingTimeoutMs, queueDepth, logger } = this.#options;
    let cursor = '0-0';
    do {
      const room = queueDepth - this.#buffer.length;
      if (room <= 0 || this.stopped) return;
      const page = parseAutoClaim(
        await client.callBuffer('XAUTOCLAIM', this.topic, group, consumer, processingTimeoutMs, cursor, 'COUNT', room),
      );
      // Redis 7 drops entries trimmed from the stream from the pending list itself and reports their ids.
      if (page.deleted.length > 0) {
        logger.warn('pubsub.redis: pending messages were trimmed from the stream before being acknowledged', {
          topic: this.topic,
          count: page.deleted.length,
        });
      }
      this.#accept(page.entries);
      cursor = page.cursor;
    } while (cursor !== '0-0');
  }

  /** Buffers entries not already held in this process; purges deleted ones (null fields, Redis < 7). */
  #accept(entries: StreamEntry[]): void {
    const { held, client, group, logger } = this.#options;
    const deleted: string[] = [];
    for (const entry of entries) {
      if (entry.fields === null) deleted.push(entry.id);
      else if (held.hold(this.topic, entry.id)) {
        this.#mine.add(entry.id);
        this.#enqueue(entry);
      }
    }
    if (deleted.length === 0) return;
    logger.warn('pubsub.redis: pending messages were trimmed from the stream before being acknowledged', {
      topic: this.topic,
      count: deleted.length,
    });
    client.xack(this.topic, group, ...deleted).catch(() => {}); // only tidies the pending list
  }

  #enqueue(entry: StreamEntry): void {
    this.#buffer.push(entry);
    this.#idleWorkers.shift()?.();
  }

  async #workLoop(): Promise<void> {
    while (!this.stopped) {
      const closedGate = this.#options.gate.whenOpen();
      if (closedGate !== undefined) {
        await Promise.race([closedGate, this.#whenStopped]);
        continue;
      }
      const entry = this.#buffer.shift();
      if (entry === undefined) {
        await new Promise<void>((resolve) => this.#idleWorkers.push(resolve));
        continue;
      }
      // A full buffer refills once half of it was handed out: reads of at least queueDepth/2 entries, not one
      // XREADGROUP round trip per delivered entry while a backlog lasts (contrib reads COUNT queueDepth too).
      if (this.#buffer.length * 2 <= this.#options.queueDepth) this.#readerWaiting?.();
      // A handler may never settle once its subscription is cancelled; the delivery then finishes on its own.
      await Promise.race([this.#deliver(entry), this.#whenStopped]);
    }
  }

  async #deliver(entry: StreamEntry): Promise<void> {
    try {
      await this.#handler(toMessage(entry, this.topic, this.#options.logger));
    } catch (err) {
      // Stopped: no retry here; the entry stays pending for the next reader of this consumer or a reclaim.
      if (this.stopped) return;
      if (this.#options.fastRetry) return this.#retryLater(entry, err);
      this.#options.logger.debug('pubsub.redis: handler rejected a message; it stays pending for the reclaim', {
        topic: this.topic,
        id: entry.id,
        error: text(err),
      });
      this.#release(entry.id);
      return;
    }
    this.#ack(entry.id); // the worker moves on; the ack needs no round trip of its own before the next delivery
  }

  /** Queues an ack; the acks of one event-loop turn go out as one `XACK` (fewer round trips for Redis and us). */
  #ack(id: string): void {
    this.#acks.push(id);
    if (this.#acks.length === 1) setImmediate(this.#flushAcks);
  }

  readonly #flushAcks = (): void => {
    const ids = this.#acks;
    if (ids.length === 0) return;
    this.#acks = [];
    void this.#sendAcks(ids);
  };

  async #sendAcks(ids: string[]): Promise<void> {
    const { client, group, logger } = this.#options;
    try {
      await client.xack(this.topic, group, ...ids);
    } catch (err) {
      // Still pending: they will be redelivered (duplicates, never a loss). After a close this is expected.
      logger[this.stopped ? 'debug' : 'warn']('pubsub.redis: acknowledging messages failed', {
        topic: this.topic,
        count: ids.length,
        error: text(err),
      });
    }
    for (const id of ids) this.#release(id);
  }

  /** Negative ack: the entry stays pending (never XACKed) and is handed over again after a backoff. */
  #retryLater(entry: StreamEntry, err: unknown): void {
    const failures = (this.#failures.get(entry.id) ?? 0) + 1;
    this.#failures.set(entry.id, failures);
    const delayMs = nackRetryDelayMs(failures, this.#options.processingTimeoutMs);
    this.#options.logger.debug('pubsub.redis: handler rejected a message; redelivering it', {
      topic: this.topic,
      id: entry.id,
      failures,
      delayMs,
      error: text(err),
    });
    const timer = setTimeout(() => {
      this.#retryTimers.delete(timer);
      void this.#requeue(entry);
    }, delayMs);
    this.#retryTimers.add(timer);
  }

  /**
   * Re-claims the entry for this consumer (resetting its idle time, so no other consumer reclaims it while
   * we retry) and buffers it again. An empty claim means it was acknowledged elsewhere or trimmed: done.
   */
  async #requeue(entry: StreamEntry): Promise<void> {
    const { client, group, consumer } = this.#options;
    let claimed: unknown = [entry.id];
    try {
      claimed = await client.call('XCLAIM', this.topic, group, consumer, 0, entry.id, 'JUSTID');
    } catch {
      // Redis unreachable: deliver anyway; at worst this duplicates a delivery.
    }
    if (this.stopped) return;
    if (Array.isArray(claimed) && claimed.length === 0) {
      this.#release(entry.id);
      return;
    }
    this.#enqueue(entry);
  }

  #release(id: string): void {
    this.#failures.delete(id);
    if (this.#mine.delete(id)) this.#options.held.release(this.topic, id);
  }

  /** Waits while paused or while the buffer is full; false once stopped. */
  async #readable(): Promise<boolean> {
    while (!this.stopped) {
      const closedGate = this.#options.gate.whenOpen();
      if (closedGate !== undefined) await Promise.race([closedGate, this.#whenStopped]);
      else if (this.#buffer.length >= this.#options.queueDepth) {
        await new Promise<void>((resolve) => {
          this.#readerWaiting = () => {
            this.#readerWaiting = undefined;
            resolve();
          };
        });
      } else return true;
    }
    return false;
  }

  #sleep(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.#lifetime.signal }).catch(() => {});
  }
}

function isNoGroup(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOGROUP');
}

function text(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
