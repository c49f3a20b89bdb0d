import { field, InvalidMetadataError, type Metadata, type MetadataOf, parseMetadata } from '@daprkit/component-sdk';
import { type KafkaAuth, resolveAuth } from './auth.js';
import type { RetryPolicy } from './retry-policy.js';

const timeout = (description: string) => field.duration({ default: 30_000, min: 1, description });

/**
 * Component metadata (YAML `spec.metadata`) shared by contrib's `pubsub.kafka` and `bindings.kafka`
 * (`common/component/kafka`): names and the pub/sub's code defaults. Unknown keys are ignored (daprd adds its
 * own); durations take Go syntax or bare seconds.
 */
export const kafkaMetadataSchema = {
  brokers: field.list({ required: true, description: 'Comma-separated `host:port` list of bootstrap brokers.' }),
  consumerGroup: field.string({
    description: 'Consumer group; defaults to `consumerID`, which daprd sets to the app ID.',
  }),
  consumerID: field.string({ description: 'Set by daprd; the consumer group when `consumerGroup` is absent.' }),
  clientId: field.string({ default: 'daprkit', description: 'Client id the brokers see in logs and quotas.' }),
  authType: field.enum({
    values: ['none', 'password', 'mtls', 'certificate', 'oidc', 'oidc_private_key_jwt', 'awsiam'],
    description:
      '`none`, `password` (SASL), `mtls` or `certificate` (TLS with a CA); OIDC and AWS IAM are not supported yet.',
  }),
  authRequired: field.bool({
    description: 'Legacy: derives `authType` when it is absent (false → none; true → password or mtls).',
  }),
  saslUsername: field.string({ description: 'SASL user for `authType: password`.' }),
  saslPassword: field.string({ secret: true, description: 'SASL password for `authType: password`.' }),
  saslMechanism: field.enum({
    values: ['PLAINTEXT', 'PLAIN', 'SHA-256', 'SHA-512', 'SCRAM-SHA-256', 'SCRAM-SHA-512'],
    default: 'PLAINTEXT',
    description: '`PLAINTEXT` (SASL PLAIN), `SHA-256` or `SHA-512` (SCRAM).',
  }),
  caCert: field.string({ description: 'PEM CA certificate(s) to verify the brokers.' }),
  clientCert: field.string({ description: 'PEM client certificate for `authType: mtls`.' }),
  clientKey: field.string({ secret: true, description: 'PEM private key of `clientCert`.' }),
  disableTls: field.bool({ default: false, description: 'Plain TCP even for authenticated auth types.' }),
  skipVerify: field.bool({ default: false, description: 'Do not verify the brokers’ certificates (unsafe).' }),
  initialOffset: field.enum({
    values: ['newest', 'oldest'],
    default: 'newest',
    description: 'Where a consumer group without a committed offset starts.',
  }),
  maxMessageBytes: field.byteSize({
    description: 'Largest record (value + key + headers) publish accepts; unset = the broker decides.',
  }),
  compression: field.enum({ values: ['none', 'gzip', 'snappy', 'lz4', 'zstd'], default: 'none' }),
  producerRequiredAcks: field.enum({ values: ['all', 'local', 'none'], default: 'all' }),
  producerRetryMax: field.int({ default: 5, min: 0, description: 'Retries of a failed produce request.' }),
  heartbeatInterval: field.duration({ default: 3000, min: 1 }),
  sessionTimeout: field.duration({ default: 10_000, min: 1 }),
  consumerGroupRebalanceStrategy: field.enum({
    values: ['range', 'roundrobin', 'sticky'],
    default: 'range',
    description: '`sticky` is served by `roundrobin` (kafkajs has no sticky assignor).',
  }),
  consumerFetchMin: field.int({ default: 1, min: 1, description: 'Minimum bytes a fetch waits for.' }),
  consumerFetchDefault: field.int({ default: 1_048_576, min: 1, description: 'Maximum bytes fetched per partition.' }),
  dialTimeout: timeout('Connection timeout (kafkajs `connectionTimeout`).'),
  readTimeout: timeout('Request timeout (kafkajs `requestTimeout`, the larger of read/write).'),
  writeTimeout: timeout('Request timeout (kafkajs `requestTimeout`, the larger of read/write).'),
  clientConnectionTopicMetadataRefreshInterval: field.duration({ default: 480_000, min: 1 }),
  version: field.string({
    description: 'Accepted and ignored: kafkajs negotiates protocol versions with each broker.',
  }),
  consumeRetryEnabled: field.bool({
    default: true,
    description: 'Redeliver rejected messages in order (else skip them).',
  }),
  consumeRetryInterval: field.duration({
    default: 100,
    bareUnit: 'milliseconds',
    min: 1,
    description: 'Wait before restarting a consumer group session that failed.',
  }),
  backOffPolicy: field.enum({ values: ['constant', 'exponential'], default: 'constant' }),
  backOffDuration: field.duration({
    default: 5000,
    min: 0,
    description: 'Constant policy: wait between redeliveries.',
  }),
  backOffInitialInterval: field.duration({ default: 500, min: 0 }),
  backOffRandomizationFactor: field.number({ default: 0.5 }),
  backOffMultiplier: field.number({ default: 1.5 }),
  backOffMaxInterval: field.duration({ default: 60_000, min: 0 }),
  backOffMaxElapsedTime: field.duration({
    default: 900_000,
    min: 0,
    description: 'Exponential policy: give up after this long (0 = never).',
  }),
  backOffMaxRetries: field.int({
    default: -1,
    min: -1,
    description: 'Redeliveries of one message before it is skipped; -1 = forever.',
  }),
  escapeHeaders: field.bool({
    default: false,
    description: 'URL-escape received header values (and `__key`) into metadata.',
  }),
  excludeHeaderMetaRegex: field.string({
    description: 'Metadata keys matching are not written as headers, nor read back.',
  }),
  schemaRegistryURL: field.string({
    description: 'Not supported yet: set it and init fails rather than publish raw bytes.',
  }),
};

export type RebalanceStrategy = 'range' | 'roundrobin';

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  /** Undefined for a publish-only instance; subscribe then fails. */
  consumerGroup: string | undefined;
  auth: KafkaAuth;
  fromBeginning: boolean;
  producer: {
    acks: -1 | 0 | 1;
    retries: number;
    compression: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
    maxMessageBytes: number | undefined;
  };
  consumer: {
    heartbeatIntervalMs: number;
    sessionTimeoutMs: number;
    rebalanceStrategy: RebalanceStrategy;
    minBytes: number;
    maxBytesPerPartition: number;
    restartDelayMs: number;
  };
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  metadataMaxAgeMs: number;
  redelivery: RetryPolicy;
  headers: { escape: boolean; exclude: RegExp | undefined };
  /** Fields that were set but have no effect here, for one info line at init. */
  ignored: string[];
}

const ACKS = { all: -1, local: 1, none: 0 } as const;

export type KafkaMetadata = MetadataOf<typeof kafkaMetadataSchema>;

/** Validates component metadata. Every error names its field and never echoes secret values. */
export function parseKafkaSettings(properties: Metadata): KafkaSettings {
  return kafkaSettingsOf(parseMetadata(properties, kafkaMetadataSchema));
}

/** Settings from already-parsed metadata, for components whose schema extends (or re-defaults) the shared one. */
export function kafkaSettingsOf(m: KafkaMetadata): KafkaSettings {
  // field.enum guarantees one of its values, but its inferred type is only string.
  const compression = m.compression as KafkaSettings['producer']['compression'];
  const acks = m.producerRequiredAcks as keyof typeof ACKS;
  const backOffPolicy = m.backOffPolicy as RetryPolicy['policy'];
  if (m.schemaRegistryURL !== undefined) {
    throw new InvalidMetadataError('schemaRegistryURL', 'Avro and the schema registry are not supported yet');
  }
  if (m.heartbeatInterval >= m.sessionTimeout) {
    throw new InvalidMetadataError('heartbeatInterval', `must be shorter than sessionTimeout (${m.sessionTimeout} ms)`);
  }
  return {
    brokers: m.brokers,
    clientId: m.clientId,
    consumerGroup: m.consumerGroup ?? m.consumerID,
    auth: resolveAuth(m),
    fromBeginning: m.initialOffset === 'oldest',
    producer: {
      acks: ACKS[acks],
      retries: m.producerRetryMax,
      compression,
      maxMessageBytes: m.maxMessageBytes,
    },
    consumer: {
      heartbeatIntervalMs: m.heartbeatInterval,
      sessionTimeoutMs: m.sessionTimeout,
      rebalanceStrategy: m.consumerGroupRebalanceStrategy === 'range' ? 'range' : 'roundrobin',
      minBytes: m.consumerFetchMin,
      maxBytesPerPartition: m.consumerFetchDefault,
      restartDelayMs: m.consumeRetryInterval,
    },
    connectionTimeoutMs: m.dialTimeout,
    requestTimeoutMs: Math.max(m.readTimeout, m.writeTimeout),
    metadataMaxAgeMs: m.clientConnectionTopicMetadataRefreshInterval,
    redelivery: {
      policy: backOffPolicy,
      durationMs: m.backOffDuration,
      initialIntervalMs: m.backOffInitialInterval,
      randomizationFactor: m.backOffRandomizationFactor,
      multiplier: m.backOffMultiplier,
      maxIntervalMs: m.backOffMaxInterval,
      maxElapsedMs: m.backOffMaxElapsedTime,
      // Without consumeRetryEnabled a rejected message is skipped at once, as in contrib.
      maxRetries: m.consumeRetryEnabled ? m.backOffMaxRetries : 0,
    },
    headers: { escape: m.escapeHeaders, exclude: compileExclude(m.excludeHeaderMetaRegex) },
    ignored: m.version === undefined ? [] : ['version'],
  };
}

function compileExclude(pattern: string | undefined): RegExp | undefined {
  if (pattern === undefined) return undefined;
  try {
    return new RegExp(pattern);
  } catch (err) {
    throw new InvalidMetadataError(
      'excludeHeaderMetaRegex',
      `not a valid regular expression: ${(err as Error).message}`,
    );
  }
}
