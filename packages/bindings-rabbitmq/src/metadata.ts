import { field, InvalidMetadataError, type Metadata, parseMetadata } from '@daprkit/component-sdk';
import {
  type AmqpEndpoint,
  parseAmqpUri,
  parseTlsMetadata,
  parseTtlMs,
  tlsMetadataSchema,
} from '@daprkit/rabbitmq-common';

/** Component metadata, names and defaults of contrib's `bindings.rabbitmq` code. Unknown keys are ignored. */
export const rabbitmqBindingMetadataSchema = {
  host: field.string({
    required: true,
    secret: true,
    description: "AMQP URI, e.g. 'amqp://user:pass@localhost:5672/vhost'.",
  }),
  queueName: field.string({ required: true, description: 'The queue both directions use (declared at init).' }),
  durable: field.bool({ default: false, description: 'Durable queue.' }),
  deleteWhenUnused: field.bool({
    default: false,
    description: 'Auto-delete the queue once unused (pub/sub spells it deletedWhenUnused).',
  }),
  exclusive: field.bool({ default: false, description: 'Exclusive queue (only this connection may use it).' }),
  prefetchCount: field.int({
    default: 0,
    min: 0,
    max: 65535,
    description: 'Channel QoS (global to the channel); 0 = unlimited.',
  }),
  maxPriority: field.int({
    min: 0,
    description: 'Queue argument x-max-priority (values above 255 become 255); unset = no priorities.',
  }),
  ttlInSeconds: field.string({
    aliases: ['ttl'],
    description: 'Queue argument x-message-ttl: a duration or integer seconds; unset = messages never expire.',
  }),
  reconnectWaitInSeconds: field.duration({
    default: 5000,
    min: 0,
    description:
      'Pause before reconnecting and before consuming again after the channel closed; bare integers are seconds.',
  }),
  ...tlsMetadataSchema,
  externalSasl: field.bool({
    default: false,
    aliases: ['saslExternal'],
    description: 'SASL EXTERNAL (client certificate) authentication over TLS.',
  }),
  contentType: field.string({
    description: 'Accepted for compatibility; not read (as in contrib). Set contentType per request instead.',
  }),
};

export interface RabbitBindingSettings {
  endpoint: AmqpEndpoint;
  queueName: string;
  durable: boolean;
  autoDelete: boolean;
  exclusive: boolean;
  prefetchCount: number;
  /** Queue arguments as contrib declares them. */
  queueArguments: Record<string, unknown>;
  reconnectWaitMs: number;
}

export function parseRabbitBindingSettings(properties: Metadata): RabbitBindingSettings {
  if (!properties.host && !Object.keys(properties).some((k) => k.toLowerCase() === 'host' && properties[k])) {
    throw new InvalidMetadataError('host', 'missing host address');
  }
  if (!Object.keys(properties).some((k) => k.toLowerCase() === 'queuename' && properties[k])) {
    throw new InvalidMetadataError('queueName', 'missing queue Name');
  }
  const m = parseMetadata(properties, rabbitmqBindingMetadataSchema);
  parseAmqpUri(m.host, 'host');
  const tls = parseTlsMetadata(properties);
  // contrib: TLS material is used only when all three are set.
  const fullTls = tls?.ca !== undefined && tls.cert !== undefined && tls.key !== undefined ? tls : undefined;
  if (m.externalSasl && fullTls === undefined) {
    throw new InvalidMetadataError('externalSasl', 'needs caCert, clientCert and clientKey');
  }
  let ttlMs: number | undefined;
  try {
    ttlMs = parseTtlMs(properties);
  } catch (err) {
    throw new InvalidMetadataError('ttlInSeconds', (err as Error).message);
  }
  const queueArguments: Record<string, unknown> = {};
  if (m.maxPriority !== undefined) queueArguments['x-max-priority'] = Math.min(m.maxPriority, 255);
  if (ttlMs !== undefined) queueArguments['x-message-ttl'] = ttlMs;
  return {
    endpoint: {
      url: m.host,
      tls: fullTls,
      saslExternal: m.externalSasl,
    },
    queueName: m.queueName,
    durable: m.durable,
    autoDelete: m.deleteWhenUnused,
    exclusive: m.exclusive,
    prefetchCount: m.prefetchCount,
    queueArguments,
    reconnectWaitMs: m.reconnectWaitInSeconds,
  };
}

/** Go's url.QueryEscape: everything but `A-Za-z0-9-_.~` percent-encoded, spaces as `+`. */
export function queryEscape(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}
