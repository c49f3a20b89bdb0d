import {
  DaprkitError,
  FailedPreconditionError,
  InvalidArgumentError,
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
import { connectMqtt, endMqtt, type InboundMessage, topicMatches } from '@daprkit/mqtt-common';
import type { MqttClient } from 'mqtt';
import { type MqttPubSubSettings, parseGoBool, parseMqttPubSubSettings } from './metadata.js';

export interface MqttPubSubOptions {
  logger?: Logger;
}

/** contrib's wait for connect, publish and subscribe. */
const WAIT_MS = 20_000;
/** Messages kept (un-acknowledged) while no subscription matches them or delivery is paused. */
const MAX_HELD = 10_000;
/** Redelivery backoff after a rejected handler: 100 ms, doubling, at most 5 s. */
const RETRY_BASE_MS = 100;
const RETRY_MAX_MS = 5_000;

interface Subscription {
  filter: string;
  handler: MessageHandler;
  unsubscribeOnClose: boolean;
  active: boolean;
}

/**
 * `pubsub.mqtt3` on MQTT.js: one MQTT 3.1.1 client per component, client ID = `consumerID` verbatim (as contrib).
 * A QoS 1 message is acknowledged (PUBACK) only after its handler succeeded; a rejected one is handed over again
 * after a backoff while the connection lasts, and is redelivered by the broker after a reconnect or restart when
 * the session is persistent (`cleanSession: false`, the default).
 */
export class MqttPubSub implements PubSub {
  readonly #logger: Logger;
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #retries = new Set<ReturnType<typeof setTimeout>>();
  /** Un-acknowledged messages waiting for a matching subscription or for resume. */
  #held: InboundMessage[] = [];
  #client: MqttClient | undefined;
  #settings: MqttPubSubSettings | undefined;
  #paused = false;
  #closed = false;

  constructor(options: MqttPubSubOptions = {}) {
    this.#logger = options.logger ?? silentLogger;
  }

  async init(properties: Metadata): Promise<void> {
    if (this.#closed) throw new FailedPreconditionError('component is closed');
    if (this.#client !== undefined) throw new FailedPreconditionError('component is already initialised');
    const settings = parseMqttPubSubSettings(properties);
    if (settings.connection.ignoredTls.length > 0) {
      this.#logger.warn('TLS metadata has no effect with a plain tcp:// or mqtt:// url', {
        fields: settings.connection.ignoredTls,
      });
    }
    const client = await connectMqtt(settings.connection, {
      clientId: settings.consumerId,
      clean: settings.cleanSession,
      connectTimeoutMs: WAIT_MS,
      logger: this.#logger,
      onMessage: (message) => this.#dispatch(message),
    });
    // Every reconnect re-subscribes all known filters in one SUBSCRIBE (as contrib's on-connect handler).
    client.on('connect', () => {
      const filters = [...this.#subscriptions.keys()];
      if (filters.length === 0) return;
      client.subscribeAsync(filters, { qos: settings.qos }).catch((err: Error) => {
        this.#logger.error('mqtt: re-subscribing after reconnect failed', { error: err.message });
      });
    });
    this.#client = client;
    this.#settings = settings;
  }

  features(): readonly PubSubFeature[] {
    return ['SUBSCRIBE_WILDCARDS'];
  }

  async publish(request: PublishRequest): Promise<void> {
    const client = this.#mqtt();
    const settings = this.#settings!;
    assertTopic(request.topic);
    if (!(request.data instanceof Uint8Array)) throw new InvalidArgumentError('message data must be bytes');
    let retain = settings.retain;
    const override = metadataValue(request.metadata, 'retain');
    if (override !== undefined && override !== '') {
      const parsed = parseGoBool(override);
      if (parsed === undefined)
        throw new InvalidArgumentError(`mqtt invalid retain '${override}' (expected true or false)`);
      retain = parsed;
    }
    const payload = Buffer.from(request.data.buffer, request.data.byteOffset, request.data.byteLength);
    try {
      await withTimeout(client.publishAsync(request.topic, payload, { qos: settings.qos, retain }), 'publish');
    } catch (err) {
      throw toPubSubError('failed to publish', err);
    }
  }

  /**
   * SUBSCRIBE at the component's QoS and return once the broker granted it. `topic` may use `+`/`#` wildcards and
   * `$share/<group>/…`. Aborting `signal` stops routing to this handler; UNSUBSCRIBE is sent only with
   * `cleanSession: true` or subscription metadata `unsubscribeOnClose` (else the broker keeps queueing for the
   * session, as in contrib).
   */
  async subscribe(request: SubscribeRequest, handler: MessageHandler, signal: AbortSignal): Promise<void> {
    const client = this.#mqtt();
    const settings = this.#settings!;
    assertTopic(request.topic);
    if (signal.aborted) return;
    const filter = request.topic;
    if (this.#subscriptions.get(filter)?.active) {
      throw new FailedPreconditionError(`topic '${filter}' is already subscribed on this component`);
    }
    const unsubscribeOnClose = ['1', 'true', 't', 'y', 'yes', 'on'].includes(
      (metadataValue(request.metadata, 'unsubscribeOnClose') ?? '').trim().toLowerCase(),
    );
    const subscription: Subscription = { filter, handler, unsubscribeOnClose, active: true };
    this.#subscriptions.set(filter, subscription);
    try {
      const granted = await withTimeout(client.subscribeAsync(filter, { qos: settings.qos }), 'subscribe');
      const refused = granted.find((g) => g.qos === 128);
      if (refused !== undefined) throw new Error(`the broker refused the subscription to '${filter}'`);
    } catch (err) {
      subscription.active = false;
      this.#subscriptions.delete(filter);
      throw toPubSubError('mqtt error from subscribe', err);
    }
    this.#logger.info('mqtt subscribed', { topic: filter, qos: settings.qos });
    signal.addEventListener('abort', () => this.#unsubscribe(subscription), { once: true });
    this.#drainHeld();
  }

  /** Stops handing messages to handlers; they are held un-acknowledged until `resume`. */
  async pause(): Promise<void> {
    this.#paused = true;
  }

  async resume(): Promise<void> {
    this.#paused = false;
    this.#drainHeld();
  }

  /** Disconnects; un-acknowledged messages stay with the broker's session (cleanSession false). Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const subscription of this.#subscriptions.values()) subscription.active = false;
    this.#subscriptions.clear();
    for (const timer of this.#retries) clearTimeout(timer);
    this.#retries.clear();
    this.#held = [];
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) await endMqtt(client);
  }

  #unsubscribe(subscription: Subscription): void {
    subscription.active = false;
    if (this.#subscriptions.get(subscription.filter) === subscription) this.#subscriptions.delete(subscription.filter);
    const client = this.#client;
    if (client === undefined || this.#closed) return;
    if (!this.#settings!.cleanSession && !subscription.unsubscribeOnClose) return;
    withTimeout(client.unsubscribeAsync(subscription.filter), 'unsubscribe').catch((err: Error) => {
      this.#logger.warn('mqtt: unsubscribe failed', { topic: subscription.filter, error: err.message });
    });
  }

  /** Exact filter first, then wildcard and shared filters (contrib's routing order). */
  #route(topic: string): Subscription | undefined {
    const exact = this.#subscriptions.get(topic);
    if (exact?.active) return exact;
    for (const subscription of this.#subscriptions.values()) {
      if (subscription.active && topicMatches(subscription.filter, topic)) return subscription;
    }
    return undefined;
  }

  #dispatch(message: InboundMessage, attempt = 0): void {
    if (this.#closed) return;
    const subscription = this.#paused ? undefined : this.#route(message.topic);
    if (subscription === undefined) {
      this.#hold(message);
      return;
    }
    void this.#deliver(message, subscription, attempt);
  }

  async #deliver(message: InboundMessage, subscription: Subscription, attempt: number): Promise<void> {
    try {
      await subscription.handler({
        data: new Uint8Array(message.payload.buffer, message.payload.byteOffset, message.payload.byteLength),
        topic: message.topic,
        metadata: { retained: String(message.retain) },
      });
    } catch (err) {
      if (this.#closed || !message.current()) return; // the broker redelivers it on the next session
      const delayMs = Math.min(RETRY_BASE_MS * 2 ** attempt, RETRY_MAX_MS);
      this.#logger.warn('mqtt: handler failed; redelivering', {
        topic: message.topic,
        attempt: attempt + 1,
        delayMs,
        error: err instanceof Error ? err.message : String(err),
      });
      const timer = setTimeout(() => {
        this.#retries.delete(timer);
        if (message.current()) this.#dispatch(message, attempt + 1);
      }, delayMs);
      this.#retries.add(timer);
      return;
    }
    message.ack();
  }

  #hold(message: InboundMessage): void {
    if (this.#held.length >= MAX_HELD) {
      // Still un-acknowledged: the broker redelivers it after the next reconnect.
      this.#logger.warn('mqtt: too many messages without a subscription; leaving one un-acknowledged', {
        topic: message.topic,
      });
      return;
    }
    this.#held.push(message);
  }

  #drainHeld(): void {
    if (this.#paused || this.#held.length === 0) return;
    const held = this.#held;
    this.#held = [];
    for (const message of held) {
      if (message.current()) this.#dispatch(message);
    }
  }

  #mqtt(): MqttClient {
    if (this.#client !== undefined) return this.#client;
    throw new FailedPreconditionError(this.#closed ? 'component is closed' : 'component is not initialised');
  }
}

/** A pub/sub ready for `init`. */
export function createMqttPubSub(options: MqttPubSubOptions = {}): MqttPubSub {
  return new MqttPubSub(options);
}

function assertTopic(topic: string): void {
  if (typeof topic !== 'string' || topic === '') throw new InvalidArgumentError('topic name is empty');
}

function metadataValue(metadata: Metadata | undefined, name: string): string | undefined {
  if (metadata === undefined) return undefined;
  if (metadata[name] !== undefined) return metadata[name];
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(metadata)) if (key.toLowerCase() === lower) return value;
  return undefined;
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timeout waiting for ${what} (${WAIT_MS} ms)`)), WAIT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Broker trouble is retryable (Unavailable); our own argument errors pass through. */
function toPubSubError(context: string, err: unknown): DaprkitError {
  if (DaprkitError.isInstance(err)) return err;
  return new UnavailableError(`mqtt: ${context}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
