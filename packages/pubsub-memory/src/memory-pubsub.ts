import {
  type BulkPublishRequest,
  type BulkPublishResponse,
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
import { type RedeliveryPolicy, redeliveryPolicyOf } from './metadata.js';
import { DeliveryGate, Subscription } from './subscription.js';

function assertTopic(topic: string): void {
  if (typeof topic !== 'string' || topic === '') throw new InvalidArgumentError('topic is required');
}

/**
 * A process-local message bus: nothing is persisted, and a message published while no subscription matches
 * its topic is dropped. Publishing only enqueues on each matching subscription, so slow handlers never slow
 * publishers; every subscription delivers serially, in publish order, redelivering what its handler rejects.
 */
export class MemoryPubSub implements PubSub {
  private readonly subscriptions = new Set<Subscription>();
  private readonly gate = new DeliveryGate();
  private redelivery: RedeliveryPolicy = redeliveryPolicyOf({});
  private closed = false;

  constructor(private readonly logger: Logger = silentLogger) {}

  async init(properties: Metadata): Promise<void> {
    this.assertOpen();
    this.redelivery = redeliveryPolicyOf(properties);
  }

  features(): readonly PubSubFeature[] {
    return [PubSubFeature.SubscribeWildcards, PubSubFeature.BulkSubscribeImmediate];
  }

  /** Resolves once the message is queued on every matching subscription, without waiting for handlers. */
  async publish(request: PublishRequest): Promise<void> {
    this.assertOpen();
    assertTopic(request.topic);
    if (!(request.data instanceof Uint8Array)) throw new InvalidArgumentError('message data must be bytes');
    for (const subscription of this.subscriptions) {
      if (!subscription.matches(request.topic)) continue;
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
