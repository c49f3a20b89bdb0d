import {
  type BulkPublishRequest,
  type BulkPublishResponse,
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
import {
  COMPRESSION,
  ConsumerSession,
  checkCompression,
  checkPartitionNumber,
  connectClients,
  createKafka,
  type KafkaSettings,
  parseKafkaSettings,
  type Route,
  recordOf,
  recordSize,
  toPublishError,
} from '@daprkit/kafka-common';
import type { Admin, Kafka, Message, Producer } from 'kafkajs';

/** How long in-flight handlers may finish (and commit) before a session is left anyway. */
const DRAIN_TIMEOUT_MS = 5000;
/** subscribe() waits at most this long for the group join; delivery starts whenever the join completes. */
const SUBSCRIBE_WAIT_MS = 8000;
const PING_TIMEOUT_MS = 5000;
const MAX_RESTART_DELAY_MS = 10_000;
/** Most records one coalesced produce request carries. */
const MAX_COALESCED_RECORDS = 500;

interface PublishBatch {
  records: Message[];
  waiters: { resolve: () => void; reject: (err: unknown) => void }[];
}

export interface KafkaPubSubOptions {
  logger?: Logger;
}

interface Connected {
  settings: KafkaSettings;
  kafka: Kafka;
  producer: Producer;
  admin: Admin;
}

function assertTopic(topic: string): void {
  if (typeof topic !== 'string' || topic === '') throw new InvalidArgumentError('topic is required');
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Dapr pub/sub on Apache Kafka. One consumer group session serves every subscribed topic of the instance;
 * subscribing or unsubscribing restarts it with the new topic set. Delivery is at-least-once and ordered per
 * partition: offsets are committed only after the handler succeeded, and a rejected message is redelivered
 * before anything behind it.
 */
export class KafkaPubSub implements PubSub {
  private readonly logger: Logger;
  private connected: Connected | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Live subscriptions per topic; the newest takes the messages (contrib: a second subscribe replaces the handler). */
  private readonly routes = new Map<string, Route[]>();
  private session: ConsumerSession | undefined;
  private paused = false;
  /** Session changes run one at a time; requests made meanwhile collapse into one follow-up run. */
  private reconciling: Promise<void> = Promise.resolve();
  private queuedReconcile: Promise<void> | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private failedStarts = 0;
  /** Lower bounds (partitions are never removed), to reject a bad `partitionNumber` per entry. */
  private readonly partitionCounts = new Map<string, number>();
  /** Publishes waiting for this turn's produce request, per topic. */
  private readonly batches = new Map<string, PublishBatch>();

  constructor(options: KafkaPubSubOptions = {}) {
    this.logger = options.logger ?? silentLogger;
  }

  async init(properties: Metadata): Promise<void> {
    this.assertOpen();
    if (this.connected !== undefined) throw new FailedPreconditionError('component is already initialised');
    const settings = parseKafkaSettings(properties);
    checkCompression(settings.producer.compression);
    if (settings.ignored.length > 0)
      this.logger.info('kafka metadata accepted but ignored', { fields: settings.ignored });
    const kafka = createKafka(settings, this.logger);
    const { producer, admin } = await connectClients(kafka, settings, this.logger);
    this.connected = { settings, kafka, producer, admin };
    this.logger.debug('kafka pub/sub ready', { brokers: settings.brokers, authType: settings.auth.authType });
  }

  features(): readonly PubSubFeature[] {
    return [];
  }

  async publish(request: PublishRequest): Promise<void> {
    const c = this.require();
    assertTopic(request.topic);
    const record = await this.prepare(c, request.topic, request.data, request.metadata);
    await this.coalesced(c, request.topic, record);
  }

  /**
   * Publishes of one event-loop turn to one topic share one produce request (in call order, so per-partition
   * order is kept), as sarama's producer batches under contrib; each caller gets the request's outcome.
   */
  private coalesced(c: Connected, topic: string, record: Message): Promise<void> {
    let batch = this.batches.get(topic);
    if (batch === undefined) {
      const created: PublishBatch = { records: [], waiters: [] };
      this.batches.set(topic, created);
      setImmediate(() => {
        if (this.batches.get(topic) === created) this.batches.delete(topic);
        this.send(c, topic, created.records).then(
          () => {
            for (const w of created.waiters) w.resolve();
          },
          (err: unknown) => {
            for (const w of created.waiters) w.reject(err);
          },
        );
      });
      batch = created;
    }
    batch.records.push(record);
    if (batch.records.length >= MAX_COALESCED_RECORDS) this.batches.delete(topic);
    const waiters = batch.waiters;
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  }

  /**
   * One produce call for every entry that is valid. Entries rejected before sending (bad `partitionNumber`,
   * too large) are reported by `entryId`; if the send itself fails the whole call fails, so daprd marks every
   * entry failed and its resiliency policy may retry them.
   */
  async bulkPublish(request: BulkPublishRequest): Promise<BulkPublishResponse> {
    const c = this.require();
    assertTopic(request.topic);
    const failedEntries: BulkPublishResponse['failedEntries'] = [];
    const records: Message[] = [];
    for (const entry of request.entries) {
      try {
        records.push(await this.prepare(c, request.topic, entry.event, { ...request.metadata, ...entry.metadata }));
      } catch (err) {
        if (!(err instanceof InvalidArgumentError)) throw err;
        failedEntries.push({ entryId: entry.entryId, error: err.message });
      }
    }
    if (records.length > 0) await this.send(c, request.topic, records);
    return { failedEntries };
  }

  /**
   * Registers the handler and (re)starts the group session with the topic; returns once the session has
   * joined, or after SUBSCRIBE_WAIT_MS with the join still under way. Aborting `signal` removes exactly this
   * subscription; its unacknowledged messages stay uncommitted and go to the next consumer of the group.
   */
  async subscribe(request: SubscribeRequest, handler: MessageHandler, signal: AbortSignal): Promise<void> {
    const c = this.require();
    assertTopic(request.topic);
    if (c.settings.consumerGroup === undefined) {
      throw new InvalidMetadataError('consumerGroup', 'is required to subscribe (daprd sets consumerID)');
    }
    if (signal.aborted) return;
    const route: Route = { handler, signal };
    const routes = this.routes.get(request.topic);
    if (routes === undefined) this.routes.set(request.topic, [route]);
    else routes.push(route);
    signal.addEventListener('abort', () => this.unsubscribe(request.topic, route), { once: true });
    this.session?.routeAdded(request.topic);
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SUBSCRIBE_WAIT_MS);
    });
    await Promise.race([this.reconcile(), waited]);
    clearTimeout(timer);
  }

  /** Stops fetching for every topic of the instance; handlers already running finish. Idempotent. */
  async pause(): Promise<void> {
    this.require();
    this.paused = true;
    this.session?.applyPause();
  }

  async resume(): Promise<void> {
    this.require();
    this.paused = false;
    this.session?.applyPause();
  }

  async ping(): Promise<void> {
    const c = this.require();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        c.admin.describeCluster(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
        }),
      ]);
    } catch (err) {
      throw new UnavailableError(`kafka brokers unreachable: ${errorText(err)}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Leaves the group (acknowledged messages committed first) and disconnects. Idempotent. */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.routes.clear();
      clearTimeout(this.restartTimer);
      this.closing = this.reconcile().then(async () => {
        const c = this.connected;
        if (c !== undefined) await Promise.allSettled([c.producer.disconnect(), c.admin.disconnect()]);
      });
    }
    return this.closing!;
  }

  /** The record for one message; InvalidArgumentError when it can never be published (so bulk can report it per entry). */
  private async prepare(c: Connected, topic: string, data: Uint8Array, metadata: Metadata): Promise<Message> {
    if (!(data instanceof Uint8Array)) throw new InvalidArgumentError('message data must be bytes');
    const record = recordOf(data, metadata, c.settings.headers.exclude);
    const limit = c.settings.producer.maxMessageBytes;
    if (limit !== undefined) {
      const size = recordSize(record);
      if (size > limit) throw new InvalidArgumentError(`message of ${size} bytes exceeds maxMessageBytes (${limit})`);
    }
    if (record.partition !== undefined) await this.checkPartition(c, topic, record.partition);
    return record;
  }

  private checkPartition(c: Connected, topic: string, partition: number): Promise<void> {
    return checkPartitionNumber(c.admin, this.partitionCounts, topic, partition);
  }

  private async send(c: Connected, topic: string, messages: Message[]): Promise<void> {
    try {
      await c.producer.send({
        topic,
        messages,
        acks: c.settings.producer.acks,
        timeout: c.settings.requestTimeoutMs,
        compression: COMPRESSION[c.settings.producer.compression],
      });
    } catch (err) {
      if (this.closed) throw new FailedPreconditionError('component is closed', { cause: err });
      throw toPublishError(err);
    }
  }

  private unsubscribe(topic: string, route: Route): void {
    const routes = this.routes.get(topic);
    if (routes === undefined) return;
    const remaining = routes.filter((r) => r !== route);
    if (remaining.length > 0) {
      this.routes.set(topic, remaining);
      return;
    }
    this.routes.delete(topic);
    void this.reconcile();
  }

  private reconcile(): Promise<void> {
    if (this.queuedReconcile === undefined) {
      const run = this.reconciling.then(() => {
        this.queuedReconcile = undefined;
        return this.applySubscriptions();
      });
      this.queuedReconcile = run;
      this.reconciling = run;
    }
    return this.queuedReconcile;
  }

  /** Brings the session in line with the subscribed topics. Never throws: failures retry on a timer. */
  private async applySubscriptions(): Promise<void> {
    const c = this.connected;
    const wanted = this.closed || c === undefined ? [] : [...this.routes.keys()].sort();
    const current = this.session;
    if (current !== undefined && !current.hasFailed && sameTopics(current.topics, wanted)) return;
    if (current !== undefined) {
      this.session = undefined;
      await current.stop(DRAIN_TIMEOUT_MS);
    }
    if (wanted.length === 0 || c === undefined) return;
    const session = new ConsumerSession(
      {
        kafka: c.kafka,
        admin: c.admin,
        settings: c.settings,
        groupId: c.settings.consumerGroup!,
        logger: this.logger,
        route: (topic) => this.route(topic),
        isPaused: () => this.paused,
        failed: () => this.scheduleRestart(c.settings.consumer.restartDelayMs),
      },
      wanted,
    );
    this.session = session;
    try {
      await session.start();
      this.failedStarts = 0;
    } catch (err) {
      this.session = undefined;
      await session.stop(0);
      const delayMs = Math.min(c.settings.consumer.restartDelayMs * 2 ** this.failedStarts++, MAX_RESTART_DELAY_MS);
      this.logger.warn('cannot start the kafka consumer group session; retrying', {
        topics: wanted,
        error: errorText(err),
        delayMs,
      });
      this.scheduleRestart(delayMs);
    }
  }

  private scheduleRestart(delayMs: number): void {
    if (this.closed) return;
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => void this.reconcile(), delayMs);
  }

  private route(topic: string): Route | undefined {
    const routes = this.routes.get(topic);
    return routes?.[routes.length - 1];
  }

  private require(): Connected {
    this.assertOpen();
    if (this.connected === undefined)
      throw new FailedPreconditionError('component is not initialised: call init first');
    return this.connected;
  }

  private assertOpen(): void {
    if (this.closed) throw new FailedPreconditionError('component is closed');
  }
}

function sameTopics(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((topic, i) => topic === b[i]);
}

/** A pub/sub that is already initialised with `properties`. */
export async function createKafkaPubSub(properties: Metadata, options: KafkaPubSubOptions = {}): Promise<KafkaPubSub> {
  const pubsub = new KafkaPubSub(options);
  await pubsub.init(properties);
  return pubsub;
}
