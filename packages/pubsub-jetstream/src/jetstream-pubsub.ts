import { readFile } from 'node:fs/promises';
import {
  DaprkitError,
  errnoOf,
  FailedPreconditionError,
  InvalidArgumentError,
  type Logger,
  type MessageHandler,
  type Metadata,
  NotFoundError,
  type PublishRequest,
  type PubSub,
  type PubSubFeature,
  type SubscribeRequest,
  silentLogger,
  UnavailableError,
  unusablePathError,
} from '@daprkit/component-sdk';
import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { createInbox, jwtAuthenticator, type NatsConnection, nanos, nkeyAuthenticator } from '@nats-io/nats-core';
import { connect, type NodeConnectionOptions } from '@nats-io/transport-node';
import { type JetStreamSettings, parseJetStreamSettings } from './metadata.js';

export interface JetStreamPubSubOptions {
  logger?: Logger;
}

/**
 * `pubsub.jetstream` on the maintained NATS client (`@nats-io/jetstream` 3 + `@nats-io/transport-node`), as contrib:
 * one push consumer per subscription (fresh inbox as deliver subject, `FilterSubject = topic`, the configured options,
 * durable when `durableName` is set, deliver group when `queueGroupName` is set), on a stream that must exist.
 * Success acks; failure NAKs (with `ackWait` as delay when set) so the server redelivers up to `maxDeliver`.
 */
/** A PEM file named in metadata; one answer however it fails, so Init cannot probe paths (issue 21). */
function readPem(path: string, field: string): Promise<string> {
  return readFile(path, 'utf8').catch((error: unknown) => {
    throw unusablePathError(field, 'must name a readable PEM file', `cannot read: ${errnoOf(error)}`);
  });
}

export class JetStreamPubSub implements PubSub {
  readonly #logger: Logger;
  readonly #subscriptions = new Set<ConsumerMessages>();
  #nc: NatsConnection | undefined;
  #js: JetStreamClient | undefined;
  #jsm: JetStreamManager | undefined;
  #settings: JetStreamSettings | undefined;
  #closed = false;
  /** Publishes waiting for the end of this event-loop turn (see #sameTurn). */
  #turn: (() => void)[] | undefined;

  constructor(options: JetStreamPubSubOptions = {}) {
    this.#logger = options.logger ?? silentLogger;
  }

  async init(properties: Metadata): Promise<void> {
    if (this.#closed) throw new FailedPreconditionError('component is closed');
    if (this.#nc !== undefined) throw new FailedPreconditionError('component is already initialised');
    const settings = parseJetStreamSettings(properties);
    const options: NodeConnectionOptions = {
      servers: settings.servers,
      name: settings.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
      // Without it every publish (a request) builds two Error objects for their stack traces up front: ~6% of the
      // sidecar's CPU in publish→delivery profiles. The errors we raise name the operation instead.
      noAsyncTraces: true,
    };
    const encoder = new TextEncoder();
    switch (settings.auth.kind) {
      case 'jwt':
        options.authenticator = jwtAuthenticator(settings.auth.jwt, encoder.encode(settings.auth.seed));
        break;
      case 'nkey':
        options.authenticator = nkeyAuthenticator(encoder.encode(settings.auth.seed));
        break;
      case 'tls':
        options.tls = {
          cert: await readPem(settings.auth.certFile, 'tls_client_cert'),
          key: await readPem(settings.auth.keyFile, 'tls_client_key'),
        };
        break;
      case 'token':
        options.token = settings.auth.token;
        break;
    }
    let nc: NatsConnection;
    try {
      nc = await connect(options);
    } catch (err) {
      throw new UnavailableError(`jetstream: cannot connect to the NATS server: ${errorText(err)}`, { cause: err });
    }
    const jsOptions = {
      ...(settings.domain === undefined ? {} : { domain: settings.domain }),
      ...(settings.apiPrefix === undefined ? {} : { apiPrefix: settings.apiPrefix }),
    };
    try {
      this.#jsm = await jetstreamManager(nc, jsOptions);
    } catch (err) {
      await nc.close();
      throw new UnavailableError(`jetstream: JetStream is not available on the server: ${errorText(err)}`, {
        cause: err,
      });
    }
    this.#js = jetstream(nc, jsOptions);
    this.#nc = nc;
    this.#settings = settings;
  }

  features(): readonly PubSubFeature[] {
    return [];
  }

  /** `js.Publish`; a CloudEvent payload's string `id` becomes `Nats-Msg-Id` (server-side de-duplication). */
  async publish(request: PublishRequest): Promise<void> {
    const js = this.#ready().js;
    if (typeof request.topic !== 'string' || request.topic === '') throw new InvalidArgumentError('topic is required');
    if (!(request.data instanceof Uint8Array)) throw new InvalidArgumentError('message data must be bytes');
    const msgID = cloudEventId(request.data);
    await this.#sameTurn();
    try {
      await js.publish(request.topic, request.data, { msgID });
    } catch (err) {
      throw new UnavailableError(`jetstream: publish to '${request.topic}' failed: ${errorText(err)}`, { cause: err });
    }
  }

  /**
   * Resolves after the I/O callbacks of this event-loop turn (setImmediate), together with every publish they made:
   * their PUBs then leave in one socket write (nats.js flushes once per microtask checkpoint) rather than one each.
   * Each write to the server costs a syscall that runs the loopback receive path and may switch to nats-server;
   * with requests arriving on many HTTP connections that was a fifth of the sidecar's time on publish→delivery.
   */
  #sameTurn(): Promise<void> {
    let waiting = this.#turn;
    if (waiting === undefined) {
      waiting = [];
      this.#turn = waiting;
      setImmediate(() => {
        this.#turn = undefined;
        for (const resolve of waiting!) resolve();
      });
    }
    const queue = waiting;
    return new Promise((resolve) => queue.push(resolve));
  }

  async subscribe(request: SubscribeRequest, handler: MessageHandler, signal: AbortSignal): Promise<void> {
    const { js, jsm, settings } = this.#ready();
    const topic = request.topic;
    if (typeof topic !== 'string' || topic === '') throw new InvalidArgumentError('topic is required');
    if (signal.aborted) return;
    let stream = settings.streamName;
    try {
      stream ??= await jsm.streams.find(topic);
    } catch (err) {
      throw new NotFoundError(
        `jetstream: no stream holds subject '${topic}' (streams are never created): ${errorText(err)}`,
        {
          cause: err,
        },
      );
    }
    const config = consumerConfig(settings, topic);
    const deliver = this.#deliverer(handler, settings, signal);
    let messages: ConsumerMessages;
    try {
      await jsm.consumers.add(stream, config);
      const consumer = await js.consumers.getBoundPushConsumer({
        deliver_subject: config.deliver_subject!,
        deliver_group: config.deliver_group,
        idle_heartbeat: config.idle_heartbeat,
      });
      messages = await consumer.consume({ callback: deliver });
    } catch (err) {
      if (DaprkitError.isInstance(err)) throw err;
      throw new UnavailableError(
        `jetstream: cannot create the consumer for '${topic}' on stream '${stream}': ${errorText(err)}`,
        {
          cause: err,
        },
      );
    }
    this.#subscriptions.add(messages);
    const stop = () => {
      this.#subscriptions.delete(messages);
      messages.stop();
    };
    signal.addEventListener('abort', stop, { once: true });
    void messages.closed().then((err) => {
      signal.removeEventListener('abort', stop);
      if (err && !this.#closed) this.#logger.error('jetstream: subscription ended', { error: errorText(err) });
    });
  }

  /**
   * The consumer's callback (called as each message is read off the socket). Single mode keeps contrib's order —
   * one message at a time, acked after the handler succeeded, NAKed when it failed — with its own queue rather than
   * the library's async iterator: when one settles, the next is handed to the handler at once, in the same
   * microtask as the ack (whose write nats.js makes after it), without the iterator's async-generator hops.
   */
  #deliverer(handler: MessageHandler, settings: JetStreamSettings, signal: AbortSignal): (m: JsMsg) => void {
    const acks = settings.ackPolicy !== 'none';
    const settle = (m: JsMsg, ok: boolean) => {
      if (!acks || this.#closed) return;
      try {
        if (ok) m.ack();
        else m.nak(settings.ackWaitMs);
      } catch (err) {
        // A closed connection throws here (no promise catches it in this callback chain): the server redelivers.
        this.#logger.warn('jetstream: cannot settle a message; the server redelivers it', {
          topic: m.subject,
          error: errorText(err),
        });
      }
    };
    const failed = (m: JsMsg, err: unknown) => {
      this.#logger.warn('jetstream: handler failed; NAK', { topic: m.subject, error: errorText(err) });
      settle(m, false);
    };
    // async: a handler that throws synchronously (or returns no promise) still settles the message.
    const call = async (m: JsMsg) => handler({ data: m.data, topic: m.subject, metadata: {} });
    if (settings.parallel)
      return (m) => {
        call(m).then(
          () => settle(m, true),
          (err: unknown) => failed(m, err),
        );
      };
    // Messages read while one is with the handler; unsettled ones left here when the subscription stops are
    // redelivered by the server after AckWait (as the ones it still holds).
    const queue: JsMsg[] = [];
    let head = 0;
    let busy = false;
    const next = () => {
      if (head === queue.length || signal.aborted || this.#closed) {
        queue.length = 0;
        head = 0;
        busy = false;
        return;
      }
      const m = queue[head++]!;
      if (head === queue.length) {
        queue.length = 0;
        head = 0;
      }
      call(m).then(
        () => {
          settle(m, true);
          next();
        },
        (err: unknown) => {
          failed(m, err);
          next();
        },
      );
    };
    return (m) => {
      queue.push(m);
      if (!busy) {
        busy = true;
        next();
      }
    };
  }

  /** Stops every subscription (their consumers stay) and drains the connection. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const messages of this.#subscriptions) messages.stop();
    this.#subscriptions.clear();
    const nc = this.#nc;
    this.#nc = undefined;
    if (nc !== undefined) await nc.close().catch(() => {});
  }

  #ready(): { js: JetStreamClient; jsm: JetStreamManager; settings: JetStreamSettings } {
    if (this.#nc !== undefined && !this.#closed) return { js: this.#js!, jsm: this.#jsm!, settings: this.#settings! };
    throw new FailedPreconditionError(this.#closed ? 'component is closed' : 'component is not initialised');
  }
}

/** A pub/sub ready for `init`. */
export function createJetStreamPubSub(options: JetStreamPubSubOptions = {}): JetStreamPubSub {
  return new JetStreamPubSub(options);
}

/** contrib's consumer configuration for one subscription. */
export function consumerConfig(settings: JetStreamSettings, topic: string): Partial<ConsumerConfig> {
  const config: Partial<ConsumerConfig> = {
    deliver_subject: createInbox(),
    filter_subject: topic,
    deliver_policy: (
      {
        all: DeliverPolicy.All,
        last: DeliverPolicy.Last,
        new: DeliverPolicy.New,
        sequence: DeliverPolicy.StartSequence,
        time: DeliverPolicy.StartTime,
      } as const
    )[settings.deliverPolicy],
    ack_policy: ({ explicit: AckPolicy.Explicit, all: AckPolicy.All, none: AckPolicy.None } as const)[
      settings.ackPolicy
    ],
  };
  if (settings.durableName !== undefined) config.durable_name = settings.durableName;
  if (settings.queueGroupName !== undefined) config.deliver_group = settings.queueGroupName;
  if (settings.deliverPolicy === 'sequence') config.opt_start_seq = settings.startSequence;
  if (settings.deliverPolicy === 'time') config.opt_start_time = new Date(settings.startTime! * 1000).toISOString();
  if (settings.ackWaitMs !== undefined) config.ack_wait = nanos(settings.ackWaitMs);
  if (settings.maxDeliver !== 0) config.max_deliver = settings.maxDeliver;
  if (settings.backOffMs.length > 0) config.backoff = settings.backOffMs.map((ms) => nanos(ms));
  if (settings.maxAckPending !== 0) config.max_ack_pending = settings.maxAckPending;
  if (settings.replicas !== 0) config.num_replicas = settings.replicas;
  if (settings.memoryStorage) config.mem_storage = true;
  if (settings.rateLimit !== 0) config.rate_limit_bps = settings.rateLimit;
  if (settings.heartbeatMs !== undefined) config.idle_heartbeat = nanos(settings.heartbeatMs);
  if (settings.flowControl) config.flow_control = true;
  return config;
}

/** The string `id` of a CloudEvent JSON payload, if it is one. */
function cloudEventId(data: Uint8Array): string | undefined {
  if (data.length === 0 || data[0] !== 0x7b) return undefined;
  try {
    const parsed = JSON.parse(new TextDecoder().decode(data)) as { id?: unknown; specversion?: unknown };
    return typeof parsed.id === 'string' && parsed.id !== '' && parsed.specversion !== undefined
      ? parsed.id
      : undefined;
  } catch {
    return undefined;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
