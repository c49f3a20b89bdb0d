/**
 * One consumer-group session: a kafkajs consumer for a fixed set of topics. The owner replaces the whole
 * session when the topic set changes (contrib restarts its sarama session the same way).
 *
 * Delivery rules, per partition:
 * - one message at a time, in offset order; different partitions run concurrently;
 * - an offset is committed only after the handler resolved (in small batches, see OffsetCommitter);
 * - a rejected message stops its partition: seek back to it, pause the partition for the backoff, resume,
 *   so nothing behind it is handed over (or committed) before it succeeds or the policy gives up on it;
 * - a message whose subscription or session goes away mid-handler is left uncommitted for the next owner.
 */
import type { Logger, MessageHandler, PubSubMessage } from '@daprkit/component-sdk';
import type { Admin, Consumer, EachMessagePayload, Kafka, KafkaMessage } from 'kafkajs';
import { partitionAssigner } from './assigners.js';
import type { KafkaSettings } from './metadata.js';
import { OffsetCommitter } from './offset-committer.js';
import { metadataOf } from './records.js';
import { redeliveryDelayMs } from './retry-policy.js';

/** Partitions whose handlers may run at the same time (kafkajs workers); more than the assignment is harmless. */
const CONCURRENT_PARTITIONS = 16;
/** Broker long-poll; also bounds how long stopping a session waits for an idle fetch. */
const FETCH_MAX_WAIT_MS = 500;
/** A topic that does not exist yet is being auto-created by the broker; wait this long for it. */
const TOPIC_CREATION_WAIT_MS = 3000;

export interface Route {
  handler: MessageHandler;
  signal: AbortSignal;
}

export interface SessionOwner {
  kafka: Kafka;
  admin: Admin;
  settings: KafkaSettings;
  groupId: string;
  logger: Logger;
  /** The live subscription that takes a topic's messages. */
  route(topic: string): Route | undefined;
  /** Instance-wide pause (daprd's graceful shutdown). */
  isPaused(): boolean;
  /** kafkajs gave up on this session for good; the owner starts a new one. */
  failed(session: ConsumerSession): void;
  /**
   * What happens to a message the retry policy gives up on: `true` (default, pub/sub) commits past it at once;
   * `false` (bindings.kafka, as contrib) leaves it uncommitted, so only the next success on the partition moves
   * the committed offset past it, and a restart before that redelivers it.
   */
  commitSkipped?: boolean;
}

interface Redelivery {
  topic: string;
  partition: number;
  offset: string;
  failures: number;
  since: number;
  timer: NodeJS.Timeout | undefined;
}

const ACKED = 'acked';
const ABANDONED = 'abandoned';
type Outcome = typeof ACKED | typeof ABANDONED | { rejected: unknown };

const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class ConsumerSession {
  readonly topics: readonly string[];
  /** Set when kafkajs crashed without restarting; the owner replaces the session. */
  hasFailed = false;
  private readonly consumer: Consumer;
  private readonly committer: OffsetCommitter;
  private readonly logger: Logger;
  /** Aborted when the session ends: handlers still running are abandoned (their messages stay uncommitted). */
  private readonly ending = new AbortController();
  private draining = false;
  private joined = false;
  private assignment: Record<string, number[]> = {};
  private inFlight = 0;
  private whenIdle: (() => void) | undefined;
  private readonly redeliveries = new Map<string, Redelivery>();
  /** Partitions held because no subscription took their topic; released when one does. */
  private readonly parked = new Map<string, Set<number>>();
  private heartbeat: (() => Promise<void>) | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private stopped: Promise<void> | undefined;

  constructor(
    private readonly owner: SessionOwner,
    topics: readonly string[],
  ) {
    this.topics = topics;
    this.logger = owner.logger;
    const { consumer } = owner.settings;
    this.consumer = owner.kafka.consumer({
      groupId: owner.groupId,
      partitionAssigners: [partitionAssigner(consumer.rebalanceStrategy)],
      sessionTimeout: consumer.sessionTimeoutMs,
      heartbeatInterval: consumer.heartbeatIntervalMs,
      minBytes: consumer.minBytes,
      maxBytesPerPartition: consumer.maxBytesPerPartition,
      maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
      metadataMaxAge: owner.settings.metadataMaxAgeMs,
      allowAutoTopicCreation: true,
    });
    this.committer = new OffsetCommitter((offsets) => this.consumer.commitOffsets(offsets), this.logger);
  }

  /** Joins the group and pins where new partitions start; resolves once messages published from now on will be delivered. */
  async start(): Promise<void> {
    const consumer = this.consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.joined = true;
      this.assignment = payload.memberAssignment;
      // A restart after a crash builds a fresh kafkajs group whose pause state is empty.
      if (this.owner.isPaused()) this.applyPause();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) {
        this.logger.warn('kafka consumer crashed; kafkajs restarts it', { error: errorText(payload.error) });
        return;
      }
      this.logger.warn('kafka consumer stopped after an error; starting a new session', {
        error: errorText(payload.error),
      });
      this.hasFailed = true;
      this.owner.failed(this);
    });
    await consumer.connect();
    await this.subscribeAll();
    const anchors = this.owner.settings.fromBeginning ? [] : await this.uncommittedEnds();
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: CONCURRENT_PARTITIONS,
      eachMessage: (payload) => this.onMessage(payload),
    });
    if (!this.joined) throw new Error(`could not join consumer group '${this.owner.groupId}'`);
    await this.anchor(anchors);
    this.heartbeatTimer = setInterval(() => this.keepAlive(), this.owner.settings.consumer.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
  }

  /**
   * Stops handing out messages, lets in-flight handlers finish (and commit) for up to `drainTimeoutMs`,
   * abandons the rest, and leaves the group. Idempotent.
   */
  stop(drainTimeoutMs: number): Promise<void> {
    this.stopped ??= this.shutdown(drainTimeoutMs);
    return this.stopped;
  }

  /** Applies the owner's instance-wide pause state to every topic of the session. */
  applyPause(): void {
    if (!this.joined) return; // applied on GROUP_JOIN
    const topics = this.topics.map((topic) => ({ topic }));
    if (this.owner.isPaused()) {
      this.safely(() => this.consumer.pause(topics));
      return;
    }
    this.safely(() => this.consumer.resume(topics));
    // Topic-wide resume also lifts partition pauses that must stay: backoffs and parked partitions.
    for (const r of this.redeliveries.values()) {
      if (r.timer !== undefined) this.pausePartition(r.topic, r.partition);
    }
    for (const [topic, partitions] of this.parked) {
      for (const partition of partitions) this.pausePartition(topic, partition);
    }
  }

  /** A subscription for `topic` arrived: release partitions parked while it had none. */
  routeAdded(topic: string): void {
    const partitions = this.parked.get(topic);
    if (partitions === undefined) return;
    this.parked.delete(topic);
    if (!this.owner.isPaused()) this.safely(() => this.consumer.resume([{ topic, partitions: [...partitions] }]));
  }

  private async onMessage({ topic, partition, message, heartbeat }: EachMessagePayload): Promise<void> {
    try {
      if (this.draining || this.owner.isPaused()) {
        // Not handed out: the next session, or this one once resumed, starts again here.
        this.rewind(topic, partition, message.offset);
        return;
      }
      const route = this.owner.route(topic);
      if (route === undefined) {
        this.rewind(topic, partition, message.offset);
        this.park(topic, partition);
        return;
      }
      this.heartbeat = heartbeat;
      this.inFlight++;
      try {
        await this.handle(route, topic, partition, message);
      } finally {
        if (--this.inFlight === 0) this.whenIdle?.();
      }
    } catch (err) {
      // Never throw into kafkajs (it would restart the consumer); keep the message for a later delivery.
      this.logger.error('unexpected failure while delivering a kafka message', {
        topic,
        partition,
        offset: message.offset,
        error: errorText(err),
      });
      this.rewind(topic, partition, message.offset);
    }
  }

  private async handle(route: Route, topic: string, partition: number, message: KafkaMessage): Promise<void> {
    const outcome = await this.deliver(route, {
      data: message.value ?? Buffer.from('null'), // contrib hands tombstones over as the JSON null
      topic,
      metadata: metadataOf(topic, partition, message, this.owner.settings.headers),
    });
    if (outcome === ACKED) {
      if (this.redeliveries.size !== 0) this.redeliveries.delete(partitionKey(topic, partition));
      this.committer.acknowledged(topic, partition, message.offset);
    } else if (outcome === ABANDONED) {
      this.rewind(topic, partition, message.offset);
    } else {
      this.rejected(topic, partition, message.offset, outcome.rejected);
    }
  }

  /** Runs the handler; settles early as abandoned when the subscription or the session ends first. */
  private deliver(route: Route, message: PubSubMessage): Promise<Outcome> {
    const { signal } = route;
    const ending = this.ending.signal;
    if (signal.aborted || ending.aborted) return Promise.resolve(ABANDONED);
    return new Promise<Outcome>((resolve) => {
      const settle = (outcome: Outcome) => {
        signal.removeEventListener('abort', abandon);
        ending.removeEventListener('abort', abandon);
        resolve(outcome);
      };
      const abandon = () => settle(ABANDONED);
      signal.addEventListener('abort', abandon);
      ending.addEventListener('abort', abandon);
      let handled: Promise<void>;
      try {
        handled = Promise.resolve(route.handler(message));
      } catch (err) {
        handled = Promise.reject(err);
      }
      handled.then(
        () => settle(ACKED),
        (rejected: unknown) => settle({ rejected }),
      );
    });
  }

  private rejected(topic: string, partition: number, offset: string, error: unknown): void {
    if (this.draining) {
      // The next session redelivers it; no backoff timer may outlive this one.
      this.rewind(topic, partition, offset);
      return;
    }
    const key = partitionKey(topic, partition);
    let r = this.redeliveries.get(key);
    if (r === undefined || r.offset !== offset) {
      r = { topic, partition, offset, failures: 0, since: Date.now(), timer: undefined };
      this.redeliveries.set(key, r);
    }
    r.failures++;
    const delayMs = redeliveryDelayMs(this.owner.settings.redelivery, r.failures, Date.now() - r.since);
    const fields = { topic, partition, offset, attempt: r.failures, error: errorText(error) };
    if (delayMs === undefined) {
      // The policy is exhausted (or consumeRetryEnabled is off): skip the message, as contrib does.
      this.redeliveries.delete(key);
      this.logger.error('kafka message rejected too often; skipping it', fields);
      if (this.owner.commitSkipped !== false) this.committer.acknowledged(topic, partition, offset);
      return;
    }
    this.logger.warn('kafka message rejected; redelivering it after a backoff', { ...fields, delayMs });
    this.rewind(topic, partition, offset);
    this.pausePartition(topic, partition);
    const redelivery = r;
    redelivery.timer = setTimeout(() => {
      redelivery.timer = undefined;
      if (!this.draining && !this.owner.isPaused())
        this.safely(() => this.consumer.resume([{ topic, partitions: [partition] }]));
    }, delayMs);
    redelivery.timer.unref();
  }

  /** Next fetch of the partition starts at `offset` again; kafkajs also drops the rest of the current batch. */
  private rewind(topic: string, partition: number, offset: string): void {
    this.safely(() => this.consumer.seek({ topic, partition, offset }));
  }

  private park(topic: string, partition: number): void {
    const partitions = this.parked.get(topic);
    if (partitions === undefined) this.parked.set(topic, new Set([partition]));
    else partitions.add(partition);
    this.pausePartition(topic, partition);
  }

  private pausePartition(topic: string, partition: number): void {
    this.safely(() => this.consumer.pause([{ topic, partitions: [partition] }]));
  }

  /** kafkajs heartbeats only between messages; a slow handler would otherwise cost the group membership. */
  private keepAlive(): void {
    if (this.inFlight > 0)
      this.heartbeat?.().catch((err: unknown) =>
        this.logger.debug('kafka heartbeat failed', { error: errorText(err) }),
      );
  }

  /** kafkajs throws from pause/seek/resume while it is not running (stopping, or restarting after a crash). */
  private safely(action: () => void): void {
    try {
      action();
    } catch (err) {
      this.logger.debug('kafka consumer not running; partition control skipped', { error: errorText(err) });
    }
  }

  private async subscribeAll(): Promise<void> {
    const deadline = Date.now() + TOPIC_CREATION_WAIT_MS;
    for (;;) {
      try {
        await this.consumer.subscribe({ topics: [...this.topics], fromBeginning: this.owner.settings.fromBeginning });
        return;
      } catch (err) {
        const type = (err as { type?: string }).type;
        const creating = type === 'UNKNOWN_TOPIC_OR_PARTITION' || type === 'LEADER_NOT_AVAILABLE';
        if (!creating || Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /**
   * `initialOffset: newest` for partitions the group never committed: their current end offsets. Committed
   * as soon as the session owns them, so "newest" means "from subscribe()", and messages published while a
   * later session restart is under way are not skipped by a fresh "latest" lookup.
   */
  private async uncommittedEnds(): Promise<{ topic: string; partition: number; offset: string }[]> {
    const { admin, groupId } = this.owner;
    try {
      const anchors = [];
      for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics: [...this.topics] })) {
        const missing = new Set(partitions.filter((p) => p.offset === '-1').map((p) => p.partition));
        if (missing.size === 0) continue;
        for (const end of await admin.fetchTopicOffsets(topic)) {
          if (missing.has(end.partition)) anchors.push({ topic, partition: end.partition, offset: end.high });
        }
      }
      return anchors;
    } catch (err) {
      this.logger.debug('could not read committed offsets; kafkajs resolves newest itself', { error: errorText(err) });
      return [];
    }
  }

  private async anchor(anchors: { topic: string; partition: number; offset: string }[]): Promise<void> {
    const owned = anchors.filter((a) => this.assignment[a.topic]?.includes(a.partition));
    if (owned.length === 0) return;
    // Seek first: kafkajs drops fetched batches of a partition with a pending seek, so nothing past the
    // anchor is delivered before it applies.
    for (const a of owned) this.rewind(a.topic, a.partition, a.offset);
    try {
      await this.consumer.commitOffsets(owned);
    } catch (err) {
      this.logger.warn('could not record the starting offsets of new partitions', { error: errorText(err) });
    }
  }

  private async shutdown(drainTimeoutMs: number): Promise<void> {
    this.draining = true;
    for (const r of this.redeliveries.values()) clearTimeout(r.timer);
    // No more fetches while the handlers in flight finish; otherwise every fetched batch is rewound in a loop.
    if (this.joined) this.safely(() => this.consumer.pause(this.topics.map((topic) => ({ topic }))));
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, drainTimeoutMs);
        this.whenIdle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.ending.abort();
    // Offsets of everything acknowledged go out before the group hands the partitions to someone else.
    await this.committer.flush();
    clearInterval(this.heartbeatTimer);
    try {
      await this.consumer.disconnect();
    } catch (err) {
      this.logger.debug('kafka consumer did not disconnect cleanly', { error: errorText(err) });
    }
  }
}
