import { setTimeout as sleep } from 'node:timers/promises';
import {
  type BulkPublishRequest,
  type BulkPublishResponse,
  DaprkitError,
  ErrorCode,
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
} from '@daprkit/component-sdk';
import { type QueueLimits, queueLimitsOf, type RedeliveryPolicy, redeliveryPolicyOf } from './metadata.js';
import { DeliveryGate, Subscription } from './subscription.js';

function assertTopic(topic: string): void {
  if (typeof topic !== 'string' || topic === '') throw new InvalidArgumentError('topic is required');
}

/**
 * A process-local message bus: nothing is persisted, and a message published while no subscription matches
 * its topic is dropped. Publishing enqueues on each matching subscription; every subscription delivers serially,
 * in publish order, redelivering what its handler rejects. Queues are bounded (maxQueuedMessages/maxQueuedBytes):
 * a publish to a full queue waits for room up to publishTimeout, then fails with RESOURCE_EXHAUSTED, so a slow
 * subscriber slows its publishers instead of growing memory.
 */
export class MemoryPubSub implements PubSub {
  private readonly subscriptions = new Set<Subscription>();
  private readonly gate = new DeliveryGate();
  private redelivery: RedeliveryPolicy = redeliveryPolicyOf({});
  private limits: QueueLimits = queueLimitsOf({});
  private closed = false;

  constructor(private readonly logger: Logger = silentLogger) {}

  async init(properties: Metadata): Promise<void> {
    this.assertOpen();
    this.redelivery = redeliveryPolicyOf(properties);
    this.limits = queueLimitsOf(properties);
  }

  features(): readonly PubSubFeature[] {
    return [PubSubFeature.SubscribeWildcards, PubSubFeature.BulkSubscribeImmediate];
  }

  /**
   * Resolves once the message is queued on every matching subscription, without waiting for handlers. A full queue
   * makes it wait for room (backpressure), at most publishTimeout, then it fails and queues nothing.
   */
  async publish(request: PublishRequest): Promise<void> {
    this.assertOpen();
    assertTopic(request.topic);
    if (!(request.data instanceof Uint8Array)) throw new InvalidArgumentError('message data must be bytes');
    const matching = [...this.subscriptions].filter((s) => s.matches(request.topic));
    const full = () => matching.find((s) => !s.hasRoomFor(request.data.byteLength));
    await this.waitForRoom(request.topic, full);
    this.assertOpen();
    for (const subscription of matching) {
      // Each subscription gets its own metadata map, so one handler cannot edit what another sees.
      subscription.enqueue({
        data: request.data,
        topic: request.topic,
        metadata: { ...request.metadata },
        ...(request.contentType !== undefined && { contentType: request.contentType }),
      });
    }
  }

  /** Publishes entry by entry; failures are reported per `entryId`, never thrown. Entry metadata wins over the request's. */
  async bulkPublish(request: BulkPublishRequest): Promise<BulkPublishResponse> {
    this.assertOpen();
    assertTopic(request.topic);
    const failedEntries: BulkPublishResponse['failedEntries'] = [];
    for (const entry of request.entries) {
      try {
        await this.publish({
          data: entry.event,
          topic: request.topic,
          pubsubName: request.pubsubName,
          metadata: { ...request.metadata, ...entry.metadata },
          ...(entry.contentType !== undefined && { contentType: entry.contentType }),
        });
      } catch (err) {
        failedEntries.push({ entryId: entry.entryId, error: err instanceof Error ? err.message : String(err) });
      }
    }
    return { failedEntries };
  }

  /**
   * Attaches and returns at once. Aborting `signal` removes exactly this subscription; messages still queued
   * for it are dropped (in memory there is nowhere to keep them).
   */
  async subscribe(request: SubscribeRequest, handler: MessageHandler, signal: AbortSignal): Promise<void> {
    this.assertOpen();
    assertTopic(request.topic);
    if (signal.aborted) return;
    const subscription: Subscription = new Subscription(request.topic, handler, signal, {
      gate: this.gate,
      redelivery: this.redelivery,
      limits: this.limits,
      logger: this.logger,
      onStop: () => this.subscriptions.delete(subscription),
    });
    this.subscriptions.add(subscription);
    subscription.start();
  }

  async pause(): Promise<void> {
    this.gate.pause();
  }

  async resume(): Promise<void> {
    this.gate.resume();
  }

  /** Stops every subscription; later publish/subscribe calls fail with FailedPreconditionError. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    for (const subscription of this.subscriptions) subscription.stop();
  }

  /** Waits until no matching queue is full; RESOURCE_EXHAUSTED once publishTimeout has passed. */
  private async waitForRoom(topic: string, full: () => Subscription | undefined): Promise<void> {
    const exhausted = (blocking: Subscription) =>
      new DaprkitError(
        ErrorCode.ResourceExhausted,
        `pubsub.in-memory: the subscriber of topic '${blocking.topic}' is not keeping up (${blocking.describeLimits()}); ` +
          `publishing to '${topic}' waited ${this.limits.publishTimeoutMs}ms (publishTimeout) for room`,
        { retryable: true },
      );
    const first = full();
    if (first === undefined) return;
    if (this.limits.publishTimeoutMs === 0) throw exhausted(first);
    const deadline = new AbortController();
    const timer = sleep(this.limits.publishTimeoutMs, undefined, { signal: deadline.signal, ref: false }).then(
      () => deadline.abort(),
      () => {},
    );
    try {
      for (let blocking: Subscription | undefined = first; blocking !== undefined; blocking = full()) {
        if (deadline.signal.aborted || this.closed) throw exhausted(blocking);
        await blocking.whenRoom(deadline.signal);
      }
    } finally {
      deadline.abort();
      await timer;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new FailedPreconditionError('component is closed');
  }
}

/** A bus that is already initialised with `properties`. */
export async function createMemoryPubSub(properties: Metadata = {}, logger?: Logger): Promise<MemoryPubSub> {
  const pubsub = new MemoryPubSub(logger);
  await pubsub.init(properties);
  return pubsub;
}
