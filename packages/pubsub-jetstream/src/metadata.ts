import { field, InvalidMetadataError, type Metadata, parseMetadata } from '@daprkit/component-sdk';

/** Component metadata (YAML `spec.metadata`), names and code defaults as contrib's `pubsub.jetstream`. */
export const jetStreamMetadataSchema = {
  natsURL: field.string({ required: true, secret: true, description: 'NATS server URL(s), comma-separated.' }),
  jwt: field.string({ secret: true, description: 'User JWT (with seedKey): decentralised JWT auth.' }),
  seedKey: field.string({
    secret: true,
    description: 'NKey seed that signs the server nonce (with jwt; alone: NKey auth).',
  }),
  tls_client_cert: field.string({ description: 'Client certificate file path (with tls_client_key).' }),
  tls_client_key: field.string({ description: 'Client key file path (with tls_client_cert).' }),
  token: field.string({ secret: true, description: 'Token auth; used only without jwt and client certificate.' }),
  name: field.string({ default: 'dapr.io - pubsub.jetstream', description: 'Connection name.' }),
  streamName: field.string({
    description: 'Stream to consume from; else looked up by subject. Streams are never created.',
  }),
  durableName: field.string({ description: 'Durable consumer name.' }),
  queueGroupName: field.string({ description: 'Deliver group: subscribers share the consumer’s messages.' }),
  startSequence: field.int({ default: 0, min: 0, description: 'Start sequence (deliverPolicy sequence).' }),
  startTime: field.int({ min: 0, description: 'Start time, unix seconds (deliverPolicy time).' }),
  deliverPolicy: field.enum({
    values: ['all', 'last', 'new', 'sequence', 'time'],
    default: 'all',
    description: 'Where a new consumer starts.',
  }),
  ackPolicy: field.string({ default: 'explicit', description: 'explicit, all or none; anything else is explicit.' }),
  ackWait: field.duration({
    min: 0,
    description: 'Redelivery timeout of an un-acknowledged message; also the NAK delay.',
  }),
  maxDeliver: field.int({ default: 0, description: 'Delivery attempts per message; 0 = server default (unlimited).' }),
  backOff: field.list({ description: 'Comma-separated durations: the consumer BackOff (redelivery delays).' }),
  maxAckPending: field.int({
    default: 0,
    min: 0,
    description: 'Un-acknowledged messages in flight; 0 = server default.',
  }),
  replicas: field.int({ default: 0, min: 0, description: 'Consumer replicas; 0 = server default.' }),
  memoryStorage: field.bool({ default: false, description: 'Keep consumer state in memory.' }),
  rateLimit: field.int({ default: 0, min: 0, description: 'Delivery rate limit in bits per second; 0 = none.' }),
  heartbeat: field.duration({ min: 0, description: 'Idle heartbeat of the push consumer.' }),
  flowControl: field.bool({ default: false, description: 'Push consumer flow control.' }),
  domain: field.string({ description: 'JetStream domain.' }),
  apiPrefix: field.string({ description: 'JetStream API prefix.' }),
  concurrencyMode: field.enum({
    values: ['single', 'parallel'],
    description: 'single: one message at a time per subscription; parallel: all at once.',
  }),
  concurrency: field.string({ description: 'Decoded, unvalidated; concurrencyMode wins (as contrib).' }),
};

export type AckPolicy = 'explicit' | 'all' | 'none';

export interface JetStreamSettings {
  servers: string[];
  auth:
    | { kind: 'none' }
    | { kind: 'token'; token: string }
    | { kind: 'jwt'; jwt: string; seed: string }
    | { kind: 'nkey'; seed: string }
    | { kind: 'tls'; certFile: string; keyFile: string };
  name: string;
  streamName?: string;
  durableName?: string;
  queueGroupName?: string;
  startSequence: number;
  startTime?: number;
  deliverPolicy: 'all' | 'last' | 'new' | 'sequence' | 'time';
  ackPolicy: AckPolicy;
  ackWaitMs?: number;
  maxDeliver: number;
  backOffMs: number[];
  maxAckPending: number;
  replicas: number;
  memoryStorage: boolean;
  rateLimit: number;
  heartbeatMs?: number;
  flowControl: boolean;
  domain?: string;
  apiPrefix?: string;
  parallel: boolean;
}

/** Validates component metadata. Every error names the offending field and never shows a secret. */
export function parseJetStreamSettings(properties: Metadata): JetStreamSettings {
  const m = parseMetadata(properties, jetStreamMetadataSchema);
  if ((m.tls_client_cert === undefined) !== (m.tls_client_key === undefined)) {
    throw new InvalidMetadataError('tls_client_cert', 'tls_client_cert and tls_client_key must be given together');
  }
  if (m.jwt !== undefined && m.seedKey === undefined) {
    throw new InvalidMetadataError('seedKey', 'jwt and seedKey must be given together');
  }
  const auth: JetStreamSettings['auth'] =
    m.jwt !== undefined
      ? { kind: 'jwt', jwt: m.jwt, seed: m.seedKey! }
      : m.seedKey !== undefined
        ? { kind: 'nkey', seed: m.seedKey }
        : m.tls_client_cert !== undefined
          ? { kind: 'tls', certFile: m.tls_client_cert, keyFile: m.tls_client_key! }
          : m.token !== undefined
            ? { kind: 'token', token: m.token }
            : { kind: 'none' };
  if (m.deliverPolicy === 'time' && m.startTime === undefined) {
    throw new InvalidMetadataError('startTime', "is required with deliverPolicy 'time'");
  }
  const backOffMs = (m.backOff ?? []).map((text, i) => {
    const ms = /^\d+$/.test(text) ? Number(text) * 1000 : parseGoDuration(text);
    if (ms === undefined || ms <= 0)
      throw new InvalidMetadataError('backOff', `entry ${i + 1} is not a positive duration`);
    return ms;
  });
  const ack = m.ackPolicy.toLowerCase();
  return {
    servers: m.natsURL
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    auth,
    name: m.name,
    streamName: m.streamName,
    durableName: m.durableName,
    queueGroupName: m.queueGroupName,
    startSequence: m.startSequence,
    startTime: m.startTime,
    deliverPolicy: m.deliverPolicy as JetStreamSettings['deliverPolicy'],
    ackPolicy: ack === 'all' || ack === 'none' ? ack : 'explicit',
    ackWaitMs: m.ackWait !== undefined && m.ackWait > 0 ? m.ackWait : undefined,
    maxDeliver: m.maxDeliver,
    backOffMs,
    maxAckPending: m.maxAckPending,
    replicas: m.replicas,
    memoryStorage: m.memoryStorage,
    rateLimit: m.rateLimit,
    heartbeatMs: m.heartbeat !== undefined && m.heartbeat > 0 ? m.heartbeat : undefined,
    flowControl: m.flowControl,
    domain: m.domain,
    apiPrefix: m.apiPrefix,
    parallel: m.concurrencyMode === 'parallel',
  };
}

function parseGoDuration(text: string): number | undefined {
  const parsed = field.duration().parse(text, 'backOff');
  return parsed;
}
