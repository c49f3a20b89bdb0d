import { field, InvalidMetadataError, type Logger, type Metadata, parseMetadata } from '@daprkit/component-sdk';
import {
  type AmqpEndpoint,
  parseAmqpUri,
  parseTlsMetadata,
  parseTtlMs,
  tlsMetadataSchema,
} from '@daprkit/rabbitmq-common';

/**
 * Component metadata (YAML `spec.metadata`): names and defaults of contrib's `pubsub.rabbitmq` **code** (not its
 * metadata.yaml, which says `durable: false`). Unknown keys are ignored.
 */
export const rabbitmqPubSubMetadataSchema = {
  connectionString: field.string({
    secret: true,
    description: "AMQP URI, e.g. 'amqp://user:pass@host:5672/vhost'. Legacy name `host` is read when this is empty.",
  }),
  host: field.string({
    secret: true,
    description: 'Deprecated alias of connectionString (used only when that is empty).',
  }),
  protocol: field.enum({
    values: ['amqp', 'amqps'],
    caseSensitive: true,
    description: "Scheme when no connectionString is given ('amqp' default); must match connectionString's if both.",
  }),
  hostname: field.string({
    default: 'localhost',
    description: "Broker 'host[:port]' when there is no connectionString.",
  }),
  username: field.string({ description: 'User when there is no connectionString.' }),
  password: field.string({ secret: true, description: 'Password when there is no connectionString.' }),
  consumerID: field.string({
    description: 'Queue name prefix: queues are `<consumerID>-<topic>` (daprd sets the app ID).',
  }),
  durable: field.bool({ default: true, description: 'Durable exchanges and queues.' }),
  deletedWhenUnused: field.bool({ default: true, description: 'Auto-delete exchanges and queues once unused.' }),
  autoAck: field.bool({
    default: false,
    description: 'Let the broker consider messages acknowledged on delivery (no redelivery).',
  }),
  requeueInFailure: field.bool({
    default: false,
    description: 'Requeue a message whose handler failed; false drops it (or dead-letters it with enableDeadLetter).',
  }),
  deliveryMode: field.int({ default: 0, min: 0, max: 2, description: '0/1 transient, 2 persistent messages.' }),
  prefetchCount: field.int({
    default: 0,
    min: 0,
    max: 65535,
    description: 'Unacknowledged messages per consumer; 0 = unlimited.',
  }),
  reconnectWaitSeconds: field.duration({
    default: 3000,
    min: 0,
    description:
      'Pause before reconnecting (and between publish attempts once the channel is gone); bare integers are seconds.',
  }),
  maxLen: field.int({ min: 0, description: 'Queue argument x-max-length (messages); 0 or unset = unlimited.' }),
  maxLenBytes: field.int({ min: 0, description: 'Queue argument x-max-length-bytes; 0 or unset = unlimited.' }),
  exchangeKind: field.enum({
    values: ['fanout', 'topic', 'direct', 'headers'],
    default: 'fanout',
    caseSensitive: true,
    description: 'Kind of the per-topic exchange.',
  }),
  enableDeadLetter: field.bool({
    default: false,
    description: 'Dead-letter rejected messages to exchange `dlx-<queue>` and queue `dlq-<queue>`.',
  }),
  publisherConfirm: field.bool({ default: false, description: 'Wait for the broker to confirm every publish.' }),
  saslExternal: field.bool({
    default: false,
    description: 'SASL EXTERNAL (client certificate) authentication; needs caCert, clientCert and clientKey.',
  }),
  ...tlsMetadataSchema,
  clientName: field.string({ description: 'Connection name shown by RabbitMQ (connection property connection_name).' }),
  heartBeat: field.duration({
    default: 10_000,
    min: 0,
    description: 'AMQP heartbeat interval (whole seconds on the wire).',
  }),
  ttlInSeconds: field.string({
    aliases: ['ttl'],
    description: 'Default per-message expiration when a publish sets none: a duration or integer seconds.',
  }),
  publishMessagePropertiesToMetadata: field.bool({
    default: false,
    description: 'Add message properties and headers to the received metadata as `metadata.<name>`.',
  }),
  concurrencyMode: field.enum({
    values: ['parallel', 'single'],
    default: 'parallel',
    caseSensitive: true,
    description:
      "'single': one message at a time per subscription; 'parallel': every delivery at once (bounded by prefetchCount).",
  }),
};

export interface RabbitPubSubSettings {
  endpoint: AmqpEndpoint;
  consumerId: string | undefined;
  durable: boolean;
  autoDelete: boolean;
  autoAck: boolean;
  requeueInFailure: boolean;
  deliveryMode: number;
  prefetchCount: number;
  reconnectWaitMs: number;
  maxLen: number | undefined;
  maxLenBytes: number | undefined;
  exchangeKind: 'fanout' | 'topic' | 'direct' | 'headers';
  enableDeadLetter: boolean;
  publisherConfirm: boolean;
  /** Default per-message expiration (ms). */
  defaultTtlMs: number | undefined;
  publishMessagePropertiesToMetadata: boolean;
  single: boolean;
}

/** Validates component metadata. Every error names the offending field; secrets are never echoed. */
export function parseRabbitPubSubSettings(properties: Metadata, logger?: Logger): RabbitPubSubSettings {
  const m = parseMetadata(properties, rabbitmqPubSubMetadataSchema);
  let connectionString = m.connectionString;
  if (connectionString === undefined && m.host !== undefined) {
    connectionString = m.host;
    logger?.warn(
      "pubsub.rabbitmq: the 'host' metadata is deprecated; use 'connectionString' or hostname/username/password",
    );
  }
  let protocol: 'amqp' | 'amqps' = 'amqp';
  if (connectionString !== undefined) {
    protocol = parseAmqpUri(connectionString, 'connectionString').protocol;
  }
  if (m.protocol !== undefined) {
    if (connectionString !== undefined && m.protocol !== protocol) {
      throw new InvalidMetadataError(
        'protocol',
        `'${m.protocol}' does not match the connection string's scheme '${protocol}'`,
      );
    }
    protocol = m.protocol as 'amqp' | 'amqps';
  }
  const url = connectionString ?? buildUrl(protocol, m.hostname!, m.username, m.password);
  const tls = parseTlsMetadata(properties);
  if (m.saslExternal && (tls?.ca === undefined || tls.cert === undefined || tls.key === undefined)) {
    throw new InvalidMetadataError(
      'saslExternal',
      'can only be true when caCert, clientCert and clientKey are all set',
    );
  }
  let defaultTtlMs: number | undefined;
  try {
    defaultTtlMs = parseTtlMs(properties);
  } catch (err) {
    throw new InvalidMetadataError('ttlInSeconds', (err as Error).message);
  }
  if (properties.concurrency !== undefined && properties.concurrencyMode === undefined) {
    logger?.info("pubsub.rabbitmq: metadata 'concurrency' has no effect (as in contrib); use 'concurrencyMode'");
  }
  return {
    endpoint: {
      url: protocol === 'amqps' && !url.startsWith('amqps:') ? url.replace(/^amqp:/, 'amqps:') : url,
      tls: protocol === 'amqps' ? tls : undefined,
      saslExternal: protocol === 'amqps' && m.saslExternal,
      clientName: m.clientName,
      heartbeatSeconds: Math.round(m.heartBeat / 1000),
    },
    consumerId: m.consumerID,
    durable: m.durable,
    autoDelete: m.deletedWhenUnused,
    autoAck: m.autoAck,
    requeueInFailure: m.requeueInFailure,
    deliveryMode: m.deliveryMode,
    prefetchCount: m.prefetchCount,
    reconnectWaitMs: m.reconnectWaitSeconds,
    maxLen: m.maxLen !== undefined && m.maxLen > 0 ? m.maxLen : undefined,
    maxLenBytes: m.maxLenBytes !== undefined && m.maxLenBytes > 0 ? m.maxLenBytes : undefined,
    exchangeKind: m.exchangeKind as RabbitPubSubSettings['exchangeKind'],
    enableDeadLetter: m.enableDeadLetter,
    publisherConfirm: m.publisherConfirm,
    defaultTtlMs,
    publishMessagePropertiesToMetadata: m.publishMessagePropertiesToMetadata,
    single: m.concurrencyMode === 'single',
  };
}

/** `protocol://user:password@hostname` as Go's url.URL builds it (user info only with a username). */
function buildUrl(protocol: string, hostname: string, username?: string, password?: string): string {
  const user =
    username === undefined
      ? ''
      : password === undefined
        ? `${encodeURIComponent(username)}@`
        : `${encodeURIComponent(username)}:${encodeURIComponent(password)}@`;
  return `${protocol}://${user}${hostname}`;
}
