import {
  type BindingEventHandler,
  DaprkitError,
  FailedPreconditionError,
  type InputBinding,
  InvalidArgumentError,
  type InvokeRequest,
  type InvokeResponse,
  type Logger,
  type Metadata,
  type OutputBinding,
  silentLogger,
  UnavailableError,
} from '@daprkit/component-sdk';
import { connectMqtt, endMqtt, type InboundMessage } from '@daprkit/mqtt-common';
import type { MqttClient } from 'mqtt';
import { type MqttBindingSettings, parseMqttBindingSettings } from './metadata.js';

export interface MqttBindingOptions {
  logger?: Logger;
}

/** contrib: connect/publish/subscribe waits. */
const WAIT_MS = 10_000;
/** contrib: output retries (after the first attempt) and their spacing. */
const PUBLISH_RETRIES = 3;
const PUBLISH_RETRY_MS = 200;
/** contrib: spacing of input handler retries. */
const HANDLER_RETRY_MS = 5_000;
const QOS = 1;

function parse(properties: Metadata, logger: Logger): MqttBindingSettings {
  const settings = parseMqttBindingSettings(properties);
  if (settings.qosGiven) logger.warn('mqtt binding: metadata qos is deprecated and ignored; QoS 1 is always used');
  if (settings.connection.ignoredTls.length > 0) {
    logger.warn('TLS metadata has no effect with a plain tcp:// or mqtt:// url', {
      fields: settings.connection.ignoredTls,
    });
  }
  return settings;
}

/**
 * `bindings.mqtt3` output: `create` publishes the data at QoS 1 to request metadata `topic` or the component's
 * `topic`, as client `<consumerID>-producer` (connected on the first invoke, as contrib).
 */
export class MqttOutputBinding implements OutputBinding {
  readonly #logger: Logger;
  #settings: MqttBindingSettings | undefined;
  #client: Promise<MqttClient> | undefined;
  #closed = false;

  constructor(options: MqttBindingOptions = {}) {
    this.#logger = options.logger ?? silentLogger;
  }

  async init(properties: Metadata): Promise<void> {
    if (this.#closed) throw new FailedPreconditionError('component is closed');
    if (this.#settings !== undefined) throw new FailedPreconditionError('component is already initialised');
    this.#settings = parse(properties, this.#logger);
  }

  operations(): readonly string[] {
    return ['create'];
  }

  async invoke(request: InvokeRequest): Promise<InvokeResponse> {
    const settings = this.#ready();
    if (request.operation !== 'create') {
      throw new InvalidArgumentError(`unsupported operation '${request.operation}' (supported: create)`);
    }
    const topic = metadataValue(request.metadata, 'topic') || settings.topic;
    const payload = Buffer.from(request.data.buffer, request.data.byteOffset, request.data.byteLength);
    let lastError: unknown;
    for (let attempt = 0; attempt <= PUBLISH_RETRIES; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, PUBLISH_RETRY_MS));
      try {
        const client = await this.#producer(settings);
        await withTimeout(client.publishAsync(topic, payload, { qos: QOS, retain: settings.retain }), 'publish');
        return {};
      } catch (err) {
        if (this.#closed) break;
        lastError = err;
      }
    }
    if (DaprkitError.isInstance(lastError)) throw lastError;
    throw new UnavailableError(`mqtt: failed to publish to '${topic}': ${errorText(lastError)}`, { cause: lastError });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) await endMqtt(await client.catch(() => undefined as never)).catch(() => {});
  }

  #producer(settings: MqttBindingSettings): Promise<MqttClient> {
    this.#client ??= connectMqtt(settings.connection, {
      clientId: `${settings.consumerId}-producer`,
      clean: settings.cleanSession,
      connectTimeoutMs: WAIT_MS,
      logger: this.#logger,
    });
    // A failed connect is retried by the next invoke.
    this.#client.catch(() => {
      this.#client = undefined;
    });
    return this.#client;
  }

  #ready(): MqttBindingSettings {
    if (this.#settings !== undefined && !this.#closed) return this.#settings;
    throw new FailedPreconditionError(this.#closed ? 'component is closed' : 'component is not initialised');
  }
}

/**
 * `bindings.mqtt3` input: subscribes to `topic` at QoS 1 as client `<consumerID>-consumer`. Each message goes to
 * the handler with metadata `topic`; success acknowledges it; a failure is retried every 5 s up to
 * `backOffMaxRetries` times, then left un-acknowledged (the broker redelivers it after a reconnect when the
 * session is persistent).
 */
export class MqttInputBinding implements InputBinding {
  readonly #logger: Logger;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #settings: MqttBindingSettings | undefined;
  #client: MqttClient | undefined;
  #handler: BindingEventHandler | undefined;
  /** Messages that arrived before `read` started (a persistent session's backlog). */
  #early: InboundMessage[] = [];
  #closed = false;

  constructor(options: MqttBindingOptions = {}) {
    this.#logger = options.logger ?? silentLogger;
  }

  async init(properties: Metadata): Promise<void> {
    if (this.#closed) throw new FailedPreconditionError('component is closed');
    if (this.#settings !== undefined) throw new FailedPreconditionError('component is already initialised');
    this.#settings = parse(properties, this.#logger);
  }

  async read(handler: BindingEventHandler, signal: AbortSignal): Promise<void> {
    const settings = this.#settings;
    if (settings === undefined || this.#closed) {
      throw new FailedPreconditionError(this.#closed ? 'component is closed' : 'component is not initialised');
    }
    if (this.#handler !== undefined) {
      // contrib retries once after 2 s before giving up.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      if (this.#handler !== undefined) throw new FailedPreconditionError('the subscription is already active');
    }
    if (signal.aborted) return;
    this.#handler = handler;
    let client: MqttClient;
    try {
      client = await connectMqtt(settings.connection, {
        clientId: `${settings.consumerId}-consumer`,
        clean: settings.cleanSession,
        connectTimeoutMs: WAIT_MS,
        logger: this.#logger,
        onMessage: (message) => this.#deliver(message, 0),
      });
      client.on('connect', () => {
        client.subscribeAsync(settings.topic, { qos: QOS }).catch((err: Error) => {
          this.#logger.error('mqtt binding: re-subscribing after reconnect failed', { error: err.message });
        });
      });
      const granted = await withTimeout(client.subscribeAsync(settings.topic, { qos: QOS }), 'subscribe');
      if (granted.some((g) => g.qos === 128)) {
        await endMqtt(client);
        throw new Error(`the broker refused the subscription to '${settings.topic}'`);
      }
    } catch (err) {
      this.#handler = undefined;
      if (DaprkitError.isInstance(err)) throw err;
      throw new UnavailableError(`mqtt binding: cannot subscribe to '${settings.topic}': ${errorText(err)}`, {
        cause: err,
      });
    }
    this.#client = client;
    const early = this.#early;
    this.#early = [];
    for (const message of early) this.#deliver(message, 0);
    signal.addEventListener('abort', () => void this.#stop(), { once: true });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#stop();
  }

  async #stop(): Promise<void> {
    this.#handler = undefined;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#early = [];
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) await endMqtt(client);
  }

  #deliver(message: InboundMessage, attempt: number): void {
    const handler = this.#handler;
    if (handler === undefined || this.#client === undefined) {
      if (handler !== undefined) this.#early.push(message); // still subscribing
      return;
    }
    const data = new Uint8Array(message.payload.buffer, message.payload.byteOffset, message.payload.byteLength);
    handler({ data, metadata: { topic: message.topic } }).then(
      () => message.ack(),
      (err: unknown) => {
        const max = this.#settings!.backOffMaxRetries;
        if (this.#handler !== handler || !message.current() || (max >= 0 && attempt >= max)) {
          this.#logger.warn('mqtt binding: event failed; leaving it un-acknowledged', {
            topic: message.topic,
            attempts: attempt + 1,
            error: errorText(err),
          });
          return;
        }
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          this.#deliver(message, attempt + 1);
        }, HANDLER_RETRY_MS);
        this.#timers.add(timer);
      },
    );
  }
}

function metadataValue(metadata: Metadata | undefined, name: string): string | undefined {
  if (metadata === undefined) return undefined;
  if (metadata[name] !== undefined) return metadata[name];
  for (const [key, value] of Object.entries(metadata)) if (key.toLowerCase() === name) return value;
  return undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
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
