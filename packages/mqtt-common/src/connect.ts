import { type Logger, UnavailableError } from '@daprkit/component-sdk';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { MqttConnectionSettings } from './metadata.js';

export interface MqttConnectOptions {
  clientId: string;
  /** MQTT `cleanSession`: false keeps the session (subscriptions and un-acknowledged QoS 1/2 messages) on the broker. */
  clean: boolean;
  /** Budget for the first CONNACK. Default 20 s (contrib's wait). */
  connectTimeoutMs?: number;
  /** Pause between reconnect attempts. Default 1 s. */
  reconnectPeriodMs?: number;
  logger: Logger;
  /**
   * Receives every inbound PUBLISH with a deferred acknowledgement (see `routeInbound`). Installed before the
   * connection opens: a persistent session's backlog arrives right after CONNACK and must not be auto-acknowledged.
   */
  onMessage?: (message: InboundMessage) => void;
}

/** MQTT.js options for the settings (MQTT 3.1.1, no automatic resubscribe: the components do it themselves). */
export function toClientOptions(settings: MqttConnectionSettings, options: MqttConnectOptions): IClientOptions {
  return {
    protocol: settings.protocol,
    host: settings.host,
    port: settings.port,
    username: settings.username,
    password: settings.password,
    clientId: options.clientId,
    clean: options.clean,
    protocolVersion: 4,
    keepalive: 30,
    connectTimeout: options.connectTimeoutMs ?? 20_000,
    reconnectPeriod: options.reconnectPeriodMs ?? 1000,
    resubscribe: false,
    ...(settings.tls === undefined
      ? {}
      : { ca: settings.tls.ca, cert: settings.tls.cert, key: settings.tls.key, rejectUnauthorized: true }),
  };
}

/**
 * Connects and resolves on the first CONNACK; rejects with an UnavailableError (naming the broker, never the
 * credentials) when the broker refuses or does not answer within the budget. The client then reconnects on its own.
 */
export async function connectMqtt(settings: MqttConnectionSettings, options: MqttConnectOptions): Promise<MqttClient> {
  const client = mqtt.connect({ ...toClientOptions(settings, options), manualConnect: true });
  if (options.onMessage !== undefined) routeInbound(client, options.onMessage);
  // Small packets (PUBACKs, QoS 1 publishes) must not wait for Nagle's algorithm; MQTT.js leaves it on.
  client.on('connect', () => (client.stream as { setNoDelay?: (noDelay: boolean) => void }).setNoDelay?.(true));
  client.connect();
  const timeoutMs = options.connectTimeoutMs ?? 20_000;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no CONNACK within ${timeoutMs} ms`)), timeoutMs);
      const onError = (err: Error) => finish(err);
      const onConnect = () => finish();
      function finish(err?: Error) {
        clearTimeout(timer);
        client.off('error', onError);
        client.off('connect', onConnect);
        if (err === undefined) resolve();
        else reject(err);
      }
      client.on('error', onError);
      client.on('connect', onConnect);
    });
  } catch (err) {
    client.end(true);
    const reason = err instanceof Error ? err.message : String(err);
    throw new UnavailableError(`mqtt: cannot connect to ${settings.display} as '${options.clientId}': ${reason}`, {
      cause: err,
    });
  }
  const { logger } = options;
  client.on('error', (err) => logger.warn('mqtt client error', { broker: settings.display, error: err.message }));
  client.on('offline', () => logger.warn('mqtt connection lost; reconnecting', { broker: settings.display }));
  return client;
}

/** One message as the broker delivered it, with its acknowledgement under the component's control. */
export interface InboundMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  dup: boolean;
  /**
   * Sends the PUBACK (QoS 1) if the connection that delivered the message is still up; after a reconnect the
   * broker redelivers the message instead (persistent sessions), so a late ack is dropped. Idempotent.
   */
  ack(): void;
  /** QoS 1: false once the delivering connection is gone (the broker then redelivers it). QoS 0/2: always true. */
  current(): boolean;
}

const DEFERRED = new Error('daprkit: acknowledgement deferred to the handler');

interface ClientInternals {
  _sendPacket?: (packet: { cmd: 'puback'; messageId: number }, cb?: () => void) => void;
  handleMessage: (packet: IPublishPacket, callback: (err?: Error) => void) => void;
}

/**
 * Routes every inbound PUBLISH to `listener` with a deferred acknowledgement. MQTT.js acknowledges a QoS 1
 * message as soon as its `handleMessage` hook calls back, and handles one packet at a time while the hook is
 * pending; here the hook hands the message over and calls back at once with a marker error, which MQTT.js takes
 * as "no PUBACK", so messages keep flowing and each is acknowledged when its handler succeeds. QoS 0 has no
 * acknowledgement; QoS 2 is released by MQTT.js itself (its PUBREC/PUBCOMP flow).
 */
export function routeInbound(client: MqttClient, listener: (message: InboundMessage) => void): void {
  const internals = client as unknown as ClientInternals;
  if (typeof internals._sendPacket !== 'function') {
    throw new Error('mqtt: this MQTT.js version has no _sendPacket; manual acknowledgements are unavailable');
  }
  let generation = 0;
  client.on('connect', () => {
    generation++;
  });
  const noop = () => {};
  internals.handleMessage = (packet, callback) => {
    const base = {
      topic: packet.topic,
      payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
      qos: packet.qos,
      retain: packet.retain,
      dup: packet.dup,
    };
    const delivered = generation;
    const current = () => delivered === generation && client.connected;
    if (packet.qos !== 1 || packet.messageId === undefined) {
      listener({ ...base, ack: noop, current: () => true });
      callback();
      return;
    }
    const messageId = packet.messageId;
    let acked = false;
    // Acknowledged as each handler succeeds, so one slow or failing message never holds back the others' PUBACKs
    // (as contrib's client with ordered delivery off; brokers accept out-of-order PUBACKs).
    listener({
      ...base,
      ack: () => {
        if (acked || !current()) return;
        acked = true;
        internals._sendPacket?.call(client, { cmd: 'puback', messageId }, noop);
      },
      current,
    });
    callback(DEFERRED);
  };
}

/** Ends the client, flushing what is queued; forced after `timeoutMs`. Never throws. */
export async function endMqtt(client: MqttClient, timeoutMs = 2000): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      client.end(true, {}, () => resolve());
      resolve();
    }, timeoutMs);
    client.end(false, {}, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
