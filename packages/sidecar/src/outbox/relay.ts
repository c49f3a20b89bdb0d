/**
 * The outbox relay (spec §5.3): subscribes to each outbox store's internal topic and turns an internal event into
 * the final one once its transaction is known to have committed.
 *
 * A marker present means committed: publish the final event (same id), delete the marker, ack. A marker absent
 * means "not committed yet", "never will commit" or "already relayed". We wait up to `missingStateTimeoutMs`, then
 * settle it for good by writing an insert-only tombstone under the marker key: if that write wins, the transaction
 * can no longer commit (its own insert-only marker would conflict) and the event is discarded; if it loses, the
 * transaction committed meanwhile and the event is published. Either way nothing is guessed from timing alone.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  isETagError,
  isTransactionalStore,
  type Logger,
  type PubSubMessage,
  type StateStore,
} from '@daprkit/component-sdk';
import { type PublishContext, publishTarget } from '../api/publish.js';
import type { ComponentTable } from '../composition/table.js';
import { CLOUDEVENT_CONTENT_TYPE } from '../shared/media-type.js';
import { type OutboxConfig, outboxConfigOf } from './config.js';
import type { CrashPoint } from './crash-points.js';
import { MARKER_PREFIX } from './write.js';

/** What the relay writes over a marker that never appeared; any other non-empty value means "committed". */
const TOMBSTONE_VALUE = Buffer.from('"outbox-discarded"');
/** Tombstones only need to outlive any transaction still in flight; a day is far beyond that. */
const TOMBSTONE_TTL_SECONDS = '86400';
/** Without `outboxDiscardWhenMissingState`, a missing marker is redelivered this many times before fencing. */
const DELIVERIES_BEFORE_FENCING = 3;

/** daprd's marker backoff shape (×3, at most 3 s apart, ±10%), starting at 100 ms: most markers commit within it. */
async function withBackoff<T>(attempt: () => Promise<T | undefined>, budgetMs: number): Promise<T | undefined> {
  const deadline = Date.now() + budgetMs;
  let delay = 100;
  for (;;) {
    const result = await attempt();
    if (result !== undefined || Date.now() >= deadline) return result;
    await sleep(Math.min(delay * (0.9 + Math.random() * 0.2), Math.max(0, deadline - Date.now())));
    delay = Math.min(delay * 3, 3000);
  }
}

async function retrying(operation: () => Promise<void>, budgetMs: number): Promise<void> {
  let lastError: unknown;
  const done = await withBackoff(async () => {
    try {
      await operation();
      return true;
    } catch (error) {
      lastError = error;
      return undefined;
    }
  }, budgetMs);
  if (done === undefined) throw lastError;
}

export interface RelayStats {
  /** Final events published (a re-publish after a failed marker delete counts again). */
  published: number;
  /** Internal events discarded because their transaction did not commit (or was already relayed). */
  discarded: number;
  /** Markers that could not be deleted after publishing: a redelivery will publish a duplicate (same id). */
  deleteFailures: number;
}

type MarkerState = 'committed' | 'tombstoned' | 'missing';

class StoreRelay {
  private readonly missingDeliveries = new Map<string, number>();

  constructor(
    private readonly storeName: string,
    private readonly store: StateStore,
    private readonly config: OutboxConfig,
    private readonly context: PublishContext,
    private readonly stats: RelayStats,
    private readonly logger: Logger,
    private readonly crashPoint: CrashPoint | undefined,
  ) {}

  private async markerState(markerKey: string): Promise<MarkerState> {
    const { data } = await this.store.get({ key: markerKey, metadata: {} });
    if (data === undefined || data.length === 0) return 'missing';
    return Buffer.from(data).equals(TOMBSTONE_VALUE) ? 'tombstoned' : 'committed';
  }

  /** True when the tombstone won: the transaction can no longer commit. */
  private async fence(markerKey: string): Promise<boolean> {
    try {
      await this.store.set({
        key: markerKey,
        value: TOMBSTONE_VALUE,
        metadata: { ttlInSeconds: TOMBSTONE_TTL_SECONDS },
        options: { concurrency: 'first-write' },
      });
      return true;
    } catch (error) {
      if (isETagError(error)) return false;
      throw error;
    }
  }

  async handle(message: PubSubMessage): Promise<void> {
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(Buffer.from(message.data).toString('utf8')) as Record<string, unknown>;
    } catch {
      this.logger.error('outbox: internal event is not JSON; discarded', { topic: this.config.internalTopic });
      return;
    }
    const markerKey = typeof event.id === 'string' ? event.id : '';
    if (!markerKey.startsWith(MARKER_PREFIX)) {
      this.logger.error('outbox: internal event has no outbox marker id; discarded', { id: markerKey });
      return;
    }
    let state =
      (await withBackoff(async () => {
        const s = await this.markerState(markerKey);
        return s === 'missing' ? undefined : s;
      }, this.config.missingStateTimeoutMs)) ?? 'missing';
    if (state === 'missing') {
      const deliveries = (this.missingDeliveries.get(markerKey) ?? 0) + 1;
      if (!this.config.discardWhenMissingState && deliveries < DELIVERIES_BEFORE_FENCING) {
        this.missingDeliveries.set(markerKey, deliveries);
        this.logger.info('outbox: marker not found yet; asking for redelivery', {
          id: markerKey,
          delivery: deliveries,
        });
        throw new Error(`outbox marker ${markerKey} not found yet in state store ${this.storeName}; redelivering`);
      }
      this.missingDeliveries.delete(markerKey);
      state = (await this.fence(markerKey)) ? 'tombstoned' : await this.markerState(markerKey);
    }
    // 'missing' after a lost fence: another relay published and deleted it in between.
    if (state !== 'committed') {
      this.stats.discarded++;
      this.logger.info('outbox: transaction did not commit (or was already relayed); event discarded', {
        store: this.storeName,
        id: markerKey,
      });
      return;
    }
    await this.publishFinal(event);
    this.crashPoint?.('after-relay-publish');
    try {
      await retrying(() => this.store.delete({ key: markerKey, metadata: {}, options: {} }), 10_000);
    } catch (error) {
      this.stats.deleteFailures++;
      throw new Error(`outbox marker ${markerKey} could not be deleted: ${(error as Error).message}`);
    }
    this.crashPoint?.('after-marker-delete');
  }

  private async publishFinal(event: Record<string, unknown>): Promise<void> {
    const { publishPubsub, publishTopic } = this.config;
    event.topic = publishTopic;
    event.pubsubname = publishPubsub;
    const entry = publishTarget(this.context, publishPubsub, publishTopic, {});
    await entry.pubsub.publish({
      data: Buffer.from(JSON.stringify(event)),
      contentType: CLOUDEVENT_CONTENT_TYPE,
      pubsubName: publishPubsub,
      topic: publishTopic,
      metadata: {},
    });
    this.stats.published++;
  }
}

export interface OutboxRelays {
  readonly stats: RelayStats;
  stop(): void;
}

/**
 * Subscribes once per (pub/sub, internal topic), straight on the component: no scopes on this side (daprd).
 * `crashPoint` is the test-only fault injection (undefined in production).
 */
export async function startOutboxRelays(
  context: PublishContext & { components: ComponentTable },
  logger: Logger,
  crashPoint?: CrashPoint,
): Promise<OutboxRelays> {
  const abort = new AbortController();
  const stats: RelayStats = { published: 0, discarded: 0, deleteFailures: 0 };
  const subscribed = new Set<string>();
  for (const [storeName, entry] of context.components.state) {
    const config = outboxConfigOf(entry.component.properties, context.appId);
    if (config === undefined) continue;
    const where = { store: storeName, pubsub: config.internalPubsub, topic: config.internalTopic };
    const pubsub = context.components.pubsub.get(config.internalPubsub);
    if (pubsub === undefined) {
      logger.warn('outbox: internal pub/sub is not loaded; relay not started', where);
      continue;
    }
    if (!isTransactionalStore(entry.store)) {
      logger.warn('outbox: state store is not transactional; relay not started', where);
      continue;
    }
    const id = `${config.internalPubsub}\u0000${config.internalTopic}`;
    if (subscribed.has(id)) {
      logger.warn('outbox: another store already relays this internal topic; relay not started', where);
      continue;
    }
    subscribed.add(id);
    const relay = new StoreRelay(storeName, entry.store, config, context, stats, logger, crashPoint);
    await pubsub.pubsub.subscribe({ topic: config.internalTopic, metadata: {} }, (m) => relay.handle(m), abort.signal);
    logger.info('outbox: relaying', where);
  }
  return {
    stats,
    stop: () => {
      abort.abort();
      if (subscribed.size > 0) logger.info('outbox: relay stopped', { ...stats });
    },
  };
}
