import {
  type BindingEventHandler,
  FailedPreconditionError,
  type InputBinding,
  InvalidMetadataError,
  type Logger,
  type Metadata,
  silentLogger,
} from '@daprkit/component-sdk';
import { ConsumerSession, connectAdmin, createKafka } from '@daprkit/kafka-common';
import type { Admin, Kafka } from 'kafkajs';
import { type KafkaBindingSettings, parseKafkaBindingSettings } from './metadata.js';
import type { KafkaBindingOptions } from './output-binding.js';

/** How long in-flight deliveries may finish (and commit) when reading stops. */
const DRAIN_TIMEOUT_MS = 5000;
/** read() waits at most this long for the group join; delivery starts whenever the join completes. */
const READ_WAIT_MS = 8000;
const MAX_RESTART_DELAY_MS = 10_000;

interface Connected {
  settings: KafkaBindingSettings;
  kafka: Kafka;
  admin: Admin;
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The input half of contrib's `bindings.kafka`: one consumer-group session over every `topics` entry, each
 * record handed to the app (through the sidecar or daprd) with `__key`, `__offset`, `__topic`, `__timestamp`,
 * `__partition` and its headers as metadata. Per partition in order; an offset is committed only after the app
 * answered with success. A message the app rejects is redelivered with the backOff* policy when
 * `consumeRetryEnabled` is on; otherwise (contrib's default) it is left uncommitted and the partition moves on,
 * so only a restart before the next success delivers it again.
 */
export class KafkaInputBinding implements InputBinding {
  private readonly logger: Logger;
  private connected: Connected | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private reading: { handler: BindingEventHandler; signal: AbortSignal } | undefined;
  private session: ConsumerSession | undefined;
  private starting: Promise<void> = Promise.resolve();
  private restartTimer: NodeJS.Timeout | undefined;
  private failedStarts = 0;

  constructor(options: KafkaBindingOptions = {}) {
    this.logger = options.logger ?? silentLogger;
  }

  async init(properties: Metadata): Promise<void> {
    if (this.closed) throw new FailedPreconditionError('component is closed');
    if (this.connected !== undefined) throw new FailedPreconditionError('component is already initialised');
    const settings = parseKafkaBindingSettings(properties);
    const kafka = createKafka(settings, this.logger);
    const admin = await connectAdmin(settings, this.logger);
    this.connected = { settings, kafka, admin };
  }

  /** Joins the group and returns (after READ_WAIT_MS at most); delivery stops when `signal` aborts. */
  async read(handler: BindingEventHandler, signal: AbortSignal): Promise<void> {
    const c = this.require();
    if (c.settings.topics.length === 0) {
      this.logger.warn("kafka input binding has no 'topics': nothing to read");
      return;
    }
    if (c.settings.consumerGroup === undefined) {
      throw new InvalidMetadataError(
        'consumerGroup',
        'is required to read topics (daprd sets no consumerID for bindings)',
      );
    }
    if (this.reading !== undefined) throw new FailedPreconditionError('the input binding is already reading');
    if (signal.aborted) return;
    this.reading = { handler, signal };
    signal.addEventListener('abort', () => void this.stopReading(), { once: true });
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, READ_WAIT_MS);
    });
    await Promise.race([this.start(), waited]);
    clearTimeout(timer);
  }

  /** Leaves the group (handled messages committed first) and disconnects; idempotent. */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.closing = this.stopReading().then(async () => {
        await this.connected?.admin.disconnect().catch(() => undefined);
      });
    }
    return this.closing!;
  }

  private start(): Promise<void> {
    this.starting = this.starting.then(() => this.startSession());
    return this.starting;
  }

  private async startSession(): Promise<void> {
    const c = this.connected;
    const reading = this.reading;
    if (c === undefined || reading === undefined || reading.signal.aborted || this.closed) return;
    const previous = this.session;
    if (previous !== undefined && !previous.hasFailed) return;
    if (previous !== undefined) await previous.stop(0);
    const session = new ConsumerSession(
      {
        kafka: c.kafka,
        admin: c.admin,
        settings: c.settings,
        groupId: c.settings.consumerGroup!,
        logger: this.logger,
        route: () => ({
          signal: reading.signal,
          handler: async (message) => {
            await reading.handler({ data: message.data, metadata: message.metadata });
          },
        }),
        isPaused: () => false,
        failed: () => this.scheduleRestart(c.settings.consumer.restartDelayMs),
        commitSkipped: false,
      },
      c.settings.topics,
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
        topics: c.settings.topics,
        error: errorText(err),
        delayMs,
      });
      this.scheduleRestart(delayMs);
    }
  }

  private scheduleRestart(delayMs: number): void {
    if (this.closed || this.reading === undefined || this.reading.signal.aborted) return;
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => void this.start(), delayMs);
  }

  private async stopReading(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.reading = undefined;
    await this.starting;
    const session = this.session;
    this.session = undefined;
    await session?.stop(DRAIN_TIMEOUT_MS);
  }

  private require(): Connected {
    if (this.closed) throw new FailedPreconditionError('component is closed');
    if (this.connected === undefined)
      throw new FailedPreconditionError('component is not initialised: call init first');
    return this.connected;
  }
}
