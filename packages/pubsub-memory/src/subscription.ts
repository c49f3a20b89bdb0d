import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger, MessageHandler, PubSubMessage } from '@daprkit/component-sdk';
import { Fifo } from './fifo.js';
import { type QueueLimits, type RedeliveryPolicy, redeliveryDelayMs } from './metadata.js';

/** Exact match, or a trailing `*`: every topic that starts with the part before it, except that part itself. */
export function topicMatches(subscribed: string, published: string): boolean {
  if (!subscribed.endsWith('*')) return subscribed === published;
  const prefix = subscribed.slice(0, -1);
  return published.length > prefix.length && published.startsWith(prefix);
}

/** pause()/resume() for every subscription of one component: closed, it holds deliveries back until reopened. */
export class DeliveryGate {
  private reopened: Promise<void> | undefined;
  private reopen: (() => void) | undefined;

  pause(): void {
    this.reopened ??= new Promise((resolve) => {
      this.reopen = resolve;
    });
  }

  resume(): void {
    this.reopen?.();
    this.reopened = this.reopen = undefined;
  }

  /** undefined while open (so the hot path does not await); otherwise settles on resume. */
  whenOpen(): Promise<void> | undefined {
    return this.reopened;
  }
}

export interface SubscriptionOptions {
  gate: DeliveryGate;
  redelivery: RedeliveryPolicy;
  limits: QueueLimits;
  logger: Logger;
  /** Called once when the subscription stops, whatever stopped it. */
  onStop: () => void;
}

type Outcome = 'acked' | 'nacked' | 'stopped';

/**
 * One subscriber's own queue and delivery loop: messages go to the handler one at a time, in publish order.
 * A rejected message stays at the head and is redelivered after a backoff, so order survives failures.
 */
export class Subscription {
  private readonly pending = new Fifo<PubSubMessage>();
  private queuedBytes = 0;
  /** Publishers waiting for room, woken one per delivered message (and all on stop). */
  private readonly roomWaiters = new Set<() => void>();
  private readonly lifetime = new AbortController();
  private readonly whenStopped: Promise<'stopped'>;
  private wake: (() => void) | undefined;

  constructor(
    readonly topic: string,
    private readonly handler: MessageHandler,
    private readonly signal: AbortSignal,
    private readonly options: SubscriptionOptions,
  ) {
    this.whenStopped = new Promise((resolve) => {
      this.lifetime.signal.addEventListener('abort', () => resolve('stopped'), { once: true });
    });
    signal.addEventListener('abort', this.stop, { once: true });
  }

  get stopped(): boolean {
    return this.lifetime.signal.aborted;
  }

  matches(topic: string): boolean {
    return topicMatches(this.topic, topic);
  }

  start(): void {
    void this.deliverLoop();
  }

  /** Whether `bytes` more fit (a message into an empty queue always fits, however large). */
  hasRoomFor(bytes: number): boolean {
    const { maxMessages, maxBytes } = this.options.limits;
    if (this.stopped || this.pending.size === 0) return true;
    return this.pending.size < maxMessages && this.queuedBytes + bytes <= maxBytes;
  }

  /** Resolves when a message leaves the queue (or the subscription stops); the caller re-checks hasRoomFor. */
  whenRoom(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.roomWaiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.roomWaiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  describeLimits(): string {
    const { maxMessages, maxBytes } = this.options.limits;
    return `${this.pending.size} messages / ${this.queuedBytes} bytes queued (maxQueuedMessages ${maxMessages}, maxQueuedBytes ${maxBytes})`;
  }

  /** Queues a message; the publisher has checked hasRoomFor (the bus bounds memory, not this method). */
  enqueue(message: PubSubMessage): void {
    if (this.stopped) return;
    this.pending.push(message);
    this.queuedBytes += message.data.byteLength;
    this.wakeUp();
  }

  private dropHead(): void {
    const head = this.pending.peek();
    if (head !== undefined) this.queuedBytes -= head.data.byteLength;
    this.pending.drop();
    const next = this.roomWaiters.values().next();
    if (!next.done) next.value();
  }

  /** Ends delivery; queued messages are dropped (the bus keeps nothing for later subscribers). Idempotent. */
  readonly stop = (): void => {
    if (this.stopped) return;
    this.signal.removeEventListener('abort', this.stop);
    this.lifetime.abort();
    this.pending.clear();
    this.queuedBytes = 0;
    for (const waiter of [...this.roomWaiters]) waiter();
    this.wakeUp();
    this.options.onStop();
  };

  private wakeUp(): void {
    this.wake?.();
    this.wake = undefined;
  }

  private async deliverLoop(): Promise<void> {
    const { gate, redelivery, logger } = this.options;
    let failures = 0;
    while (!this.stopped) {
      const message = this.pending.peek();
      if (message === undefined) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        continue;
      }
      const closedGate = gate.whenOpen();
      if (closedGate !== undefined) {
        await Promise.race([closedGate, this.whenStopped]);
        continue;
      }
      // A handler may never settle once its subscription is cancelled (daprd stops acking), so race the stop.
      const outcome = await Promise.race([this.handle(message), this.whenStopped]);
      if (outcome === 'stopped') return;
      if (outcome === 'acked') {
        this.dropHead();
        failures = 0;
        continue;
      }
      failures++;
      if (redelivery.maxRedeliveries > 0 && failures > redelivery.maxRedeliveries) {
        logger.warn('pubsub.in-memory: dropping a message after its last redelivery failed', {
          topic: message.topic,
          redeliveries: redelivery.maxRedeliveries,
        });
        this.dropHead();
        failures = 0;
        continue;
      }
      await sleep(redeliveryDelayMs(redelivery, failures), undefined, {
        signal: this.lifetime.signal,
        ref: false,
      }).catch(
        () => {}, // aborted by stop(): the loop condition ends it
      );
    }
  }

  private async handle(message: PubSubMessage): Promise<Outcome> {
    try {
      await this.handler(message);
      return 'acked';
    } catch (err) {
      this.options.logger.debug('pubsub.in-memory: handler rejected a message; it will be redelivered', {
        topic: message.topic,
        error: err instanceof Error ? err.message : String(err),
      });
      return 'nacked';
    }
  }
}
