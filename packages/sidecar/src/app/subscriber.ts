/**
 * Runs subscriptions (spec §4.3–§4.7): turns each broker message into the event the app sees, routes it, delivers it
 * and settles it — ack, dead-letter, or reject so the pub/sub redelivers (at-least-once stays the broker's job).
 */
import { randomUUID } from 'node:crypto';
import type { Logger, PubSubMessage } from '@daprkit/component-sdk';
import { topicAllowed } from '../composition/pubsub-scopes.js';
import type { ComponentTable, PubSubEntry } from '../composition/table.js';
import { bindingSpan, deliverySpan } from '../observability/delivery-spans.js';
import type { SidecarMetrics } from '../observability/metrics.js';
import type { Tracer } from '../observability/tracing.js';
import type { PolicyRunner } from '../resiliency/policy.js';
import type { Resiliency } from '../resiliency/resiliency.js';
import type { SubscriptionResource } from '../resources/types.js';
import { parseGoBool } from '../shared/go-json.js';
import { isObject } from '../shared/json-fields.js';
import { CLOUDEVENT_CONTENT_TYPE } from '../shared/media-type.js';
import type { AppChannel } from './app-channel.js';
import { type CompiledRule, compileMatch } from './route-match.js';

interface CompiledSubscription {
  subscription: SubscriptionResource;
  rules: { match?: CompiledRule; path: string }[];
  rawPayload: boolean;
}

class DeliveryError extends Error {
  override name = 'DeliveryError';
}

function compile(subscription: SubscriptionResource): CompiledSubscription {
  const raw = subscription.metadata.rawPayload;
  const rawPayload = raw === undefined || raw === '' ? false : parseGoBool(raw);
  if (rawPayload === undefined) {
    // @dapr/dapr JSON-stringifies metadata values: {rawPayload: "true"} arrives as "\"true\"". daprd fails every
    // message of such a subscription; so do we, but say why.
    throw new DeliveryError(
      `subscription ${subscription.pubsubname}/${subscription.topic}: metadata rawPayload must be a boolean, got '${raw}'`,
    );
  }
  return {
    subscription,
    rules: subscription.rules.map((r) =>
      r.match === undefined ? { path: r.path } : { match: compileMatch(r.match), path: r.path },
    ),
    rawPayload,
  };
}

/** The event map and the bytes delivered to the app (spec §4.3). */
function eventOf(
  message: PubSubMessage,
  pubsubName: string,
  rawPayload: boolean,
): { event: Record<string, unknown>; body: Uint8Array } {
  if (rawPayload) {
    const event: Record<string, unknown> = {
      id: randomUUID(),
      specversion: '1.0',
      datacontenttype: 'application/octet-stream',
      source: 'Dapr',
      type: 'com.dapr.event.sent',
      topic: message.topic,
      pubsubname: pubsubName,
      data_base64: Buffer.from(message.data).toString('base64'),
    };
    for (const key of ['traceid', 'traceparent', 'tracestate'])
      if (message.metadata[key]) event[key] = message.metadata[key];
    if (message.metadata.traceparent) event.traceid = message.metadata.traceparent;
    return { event, body: Buffer.from(JSON.stringify(event)) };
  }
  const parsed = JSON.parse(Buffer.from(message.data).toString('utf8')) as unknown;
  if (!isObject(parsed)) throw new DeliveryError('message is not a JSON CloudEvent object');
  const event = parsed;
  for (const key of ['traceid', 'traceparent', 'tracestate'])
    if (event[key] === undefined && message.metadata[key]) event[key] = message.metadata[key];
  return { event, body: message.data };
}

function isExpired(event: Record<string, unknown>): boolean {
  if (typeof event.expiration !== 'string') return false;
  const at = Date.parse(event.expiration);
  return Number.isFinite(at) && at < Date.now();
}

export class Subscriber {
  /** Aborted by stop(); `delivery` also by pause() (app unhealthy), and remade by resume(). */
  private readonly closed = new AbortController();
  private delivery = new AbortController();
  private wanted: readonly SubscriptionResource[] = [];
  private paused = false;
  private bindingsWanted = false;

  constructor(
    private readonly components: ComponentTable,
    private readonly app: AppChannel,
    private readonly appId: string,
    private readonly logger: Logger,
    /** Component INBOUND policies; looked up once per subscription / binding, not per message. */
    private readonly resiliency?: Resiliency,
    private readonly metrics?: SidecarMetrics,
    private readonly tracer?: Tracer,
  ) {}

  /** Starts every subscription it can; returns those that started. */
  async start(subscriptions: readonly SubscriptionResource[]): Promise<SubscriptionResource[]> {
    this.wanted = subscriptions;
    if (this.paused) return [];
    return this.subscribeAll(subscriptions, this.delivery.signal);
  }

  /**
   * The app became unhealthy: unsubscribe everything and stop reading input bindings (daprd). Unacknowledged
   * messages stay with the broker for the next subscription.
   */
  pause(): void {
    if (this.paused || this.closed.signal.aborted) return;
    this.paused = true;
    this.delivery.abort();
    this.logger.info('app is unhealthy: subscriptions and input bindings stopped');
  }

  /** The app is healthy (again): subscribe and read input bindings anew. */
  async resume(): Promise<SubscriptionResource[]> {
    if (!this.paused || this.closed.signal.aborted) return [];
    this.paused = false;
    this.delivery = new AbortController();
    const started = await this.subscribeAll(this.wanted, this.delivery.signal);
    if (this.bindingsWanted) await this.readInputBindings(this.delivery.signal);
    return started;
  }

  private async subscribeAll(
    subscriptions: readonly SubscriptionResource[],
    signal: AbortSignal,
  ): Promise<SubscriptionResource[]> {
    const started: SubscriptionResource[] = [];
    for (const subscription of subscriptions) {
      const where = { pubsub: subscription.pubsubname, topic: subscription.topic };
      const entry = this.components.pubsub.get(subscription.pubsubname);
      if (entry === undefined) {
        this.logger.warn('subscription names an unknown pub/sub; skipped', where);
        continue;
      }
      if (!topicAllowed(entry.component.properties, this.appId, subscription.topic, 'subscribe')) {
        this.logger.error('subscription not allowed by the pub/sub topic scopes; skipped', where);
        continue;
      }
      let compiled: CompiledSubscription | undefined;
      let compileError: Error | undefined;
      try {
        compiled = compile(subscription);
      } catch (error) {
        compileError = error as Error;
        this.logger.error('subscription cannot deliver: every message will fail', {
          ...where,
          error: compileError.message,
        });
      }
      const inbound = this.resiliency?.componentInbound(subscription.pubsubname, 'Pubsub');
      const metrics = this.metrics;
      const handler =
        metrics === undefined
          ? async (message: PubSubMessage) => {
              if (compiled === undefined) throw compileError;
              await this.handle(entry, compiled, message, inbound);
            }
          : async (message: PubSubMessage) => {
              const begin = performance.now();
              let status: 'success' | 'retry' | 'drop' = 'retry';
              try {
                if (compiled === undefined) throw compileError;
                status = await this.handle(entry, compiled, message, inbound);
              } finally {
                metrics.pubsubIngress(where.pubsub, where.topic, status, performance.now() - begin);
              }
            };
      try {
        await entry.pubsub.subscribe({ topic: subscription.topic, metadata: subscription.metadata }, handler, signal);
        started.push(subscription);
        this.logger.info('subscribed', { ...where, type: subscription.type });
      } catch (error) {
        this.logger.error('subscribe failed', { ...where, error: (error as Error).message });
      }
    }
    return started;
  }

  private async deadLetter(
    entry: PubSubEntry,
    subscription: SubscriptionResource,
    message: PubSubMessage,
    reason: string,
  ): Promise<boolean> {
    const topic = subscription.deadLetterTopic;
    if (topic === undefined) return false;
    await entry.pubsub.publish({
      data: message.data,
      pubsubName: subscription.pubsubname,
      topic,
      metadata: message.metadata,
      contentType: message.contentType ?? CLOUDEVENT_CONTENT_TYPE,
    });
    this.logger.info('message sent to dead-letter topic', {
      pubsub: subscription.pubsubname,
      topic: subscription.topic,
      deadLetterTopic: topic,
      reason,
    });
    return true;
  }

  /** Delivers one message; resolves with daprd's process_status, throws when the broker should redeliver. */
  private async handle(
    entry: PubSubEntry,
    compiled: CompiledSubscription,
    message: PubSubMessage,
    inbound: PolicyRunner | undefined,
  ): Promise<'success' | 'drop'> {
    const { subscription } = compiled;
    const pubsubName = subscription.pubsubname;
    const metadata = { ...message.metadata, pubsubName };
    let event: Record<string, unknown>;
    let body: Uint8Array;
    let path: string | undefined;
    try {
      ({ event, body } = eventOf(message, pubsubName, compiled.rawPayload));
      if (isExpired(event)) {
        await this.deadLetter(entry, subscription, message, 'expired');
        return 'drop';
      }
      path = compiled.rules.find((rule) => rule.match === undefined || rule.match(event))?.path;
    } catch (error) {
      if (await this.deadLetter(entry, subscription, message, (error as Error).message)) return 'drop';
      throw error;
    }
    if (path === undefined) {
      await this.deadLetter(entry, subscription, message, 'no route matched');
      return 'drop';
    }
    const span = this.tracer === undefined ? undefined : deliverySpan(this.tracer, subscription.topic, event);
    let outcome: Awaited<ReturnType<AppChannel['deliverTopicEvent']>>;
    const delivery = { pubsubName, topic: subscription.topic, path, event, body, metadata, trace: span?.context };
    try {
      outcome =
        inbound === undefined
          ? await this.app.deliverTopicEvent(delivery)
          : // The inbound policy re-delivers the same message while the app fails or answers RETRY; DROP is final.
            await inbound(async () => {
              const result = await this.app.deliverTopicEvent(delivery);
              if (result === 'retry')
                throw new DeliveryError(`retriable error returned from app while processing pub/sub event`);
              return result;
            });
    } catch (error) {
      this.logger.warn('delivery to the app failed', {
        pubsub: pubsubName,
        topic: subscription.topic,
        error: (error as Error).message,
      });
      outcome = 'retry';
    }
    span?.end(outcome === 'success' ? undefined : `app answered ${outcome.toUpperCase()}`);
    if (outcome === 'success') return 'success';
    if (outcome === 'drop') {
      this.logger.warn('app dropped a message', {
        pubsub: pubsubName,
        topic: subscription.topic,
        id: String(event.id ?? ''),
      });
      await this.deadLetter(entry, subscription, message, 'dropped by app');
      return 'drop';
    }
    // RETRY with a dead-letter topic and no resiliency policy goes to the DLQ at once (daprd).
    if (await this.deadLetter(entry, subscription, message, 'app asked to retry')) return 'drop';
    throw new DeliveryError(
      `app asked to retry message ${String(event.id ?? '')} on ${pubsubName}/${subscription.topic}`,
    );
  }

  /** Reads every input binding the app wants (spec §4.8). */
  async startInputBindings(): Promise<void> {
    this.bindingsWanted = true;
    if (!this.paused) await this.readInputBindings(this.delivery.signal);
  }

  private async readInputBindings(signal: AbortSignal): Promise<void> {
    for (const [name, entry] of this.components.inputBindings) {
      try {
        if (!entry.explicitInput && !(await this.app.wantsInputBinding(name, entry.route))) {
          this.logger.info('app has not subscribed to binding', { binding: name });
          continue;
        }
        const inbound = this.resiliency?.componentInbound(name, 'Binding');
        const { tracer } = this;
        const deliver =
          tracer === undefined
            ? (data: Uint8Array, metadata: Record<string, string>) =>
                this.app.deliverBindingEvent(name, entry.route, data, metadata)
            : async (data: Uint8Array, metadata: Record<string, string>) => {
                const span = bindingSpan(tracer, name, entry.route, metadata);
                try {
                  const reply = await this.app.deliverBindingEvent(name, entry.route, data, metadata, span.context);
                  span.end();
                  return reply;
                } catch (error) {
                  span.end((error as Error).message);
                  throw error;
                }
              };
        await entry.binding.read(
          inbound === undefined
            ? (event) => deliver(event.data, event.metadata)
            : (event) => inbound(() => deliver(event.data, event.metadata)),
          signal,
        );
        this.logger.info('reading input binding', { binding: name, route: entry.route });
      } catch (error) {
        this.logger.error('input binding could not start', { binding: name, error: (error as Error).message });
      }
    }
  }

  stop(): void {
    this.closed.abort();
    this.delivery.abort();
  }
}
