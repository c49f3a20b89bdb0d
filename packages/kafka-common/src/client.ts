/** Building and connecting the kafkajs client, bounded so init fits inside daprd's 5 s init timeout. */
import {
  DaprkitError,
  ErrorCode,
  InvalidArgumentError,
  InvalidMetadataError,
  type Logger,
  UnavailableError,
} from '@daprkit/component-sdk';
import kafkajs, { type Admin, type Kafka, type logCreator, type Producer, type RetryOptions } from 'kafkajs';
import type { KafkaSettings } from './metadata.js';
import { saramaHashPartitioner } from './records.js';

const { CompressionCodecs, CompressionTypes, logLevel } = kafkajs;

/** Below daprd's 5 s init deadline, so our own, more helpful error is the one reported. */
export const INIT_TIMEOUT_MS = 4500;

export const COMPRESSION = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
} as const;

/** kafkajs ships only gzip; the others need a codec package registered in its `CompressionCodecs`. */
export function checkCompression(compression: KafkaSettings['producer']['compression']): void {
  const type = COMPRESSION[compression];
  if (type === CompressionTypes.None) return;
  try {
    // Unregistered codecs are placeholders that throw "not implemented" when looked up.
    CompressionCodecs[type]();
  } catch {
    throw new InvalidMetadataError(
      'compression',
      `'${compression}' needs its codec registered in kafkajs's CompressionCodecs (e.g. the kafkajs-${compression} package); built in: none, gzip`,
    );
  }
}

/** kafkajs's console logger is replaced: everything it says goes to our logger at debug (it never logs credentials). */
function bridge(logger: Logger): logCreator {
  return () =>
    ({ namespace, label, log }) =>
      logger.debug(`kafkajs ${namespace}: ${log.message}`, { level: label });
}

/** `retry` overrides kafkajs's connection retries (5, from 300 ms), e.g. to fail fast. */
export function createKafka(settings: KafkaSettings, logger: Logger, retry?: RetryOptions): Kafka {
  return new kafkajs.Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    ssl: settings.auth.ssl ?? false,
    ...(settings.auth.sasl !== undefined && { sasl: settings.auth.sasl }),
    connectionTimeout: settings.connectionTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    logLevel: logLevel.INFO,
    logCreator: bridge(logger),
    ...(retry !== undefined && { retry }),
  });
}

export function createProducer(kafka: Kafka, settings: KafkaSettings): Producer {
  return kafka.producer({
    createPartitioner: saramaHashPartitioner,
    retry: { retries: settings.producer.retries },
    metadataMaxAge: settings.metadataMaxAgeMs,
    allowAutoTopicCreation: true,
  });
}

/**
 * Connects an admin client, asks the cluster to describe itself, then connects the producer, all within
 * INIT_TIMEOUT_MS. The admin retries little (like sarama's metadata retries), so an unreachable broker fails
 * init in well under a second with its cause; admin calls later (ping, offsets) want the same fast answer.
 */
export async function connectClients(
  kafka: Kafka,
  settings: KafkaSettings,
  logger: Logger,
): Promise<{ producer: Producer; admin: Admin }> {
  const producer = createProducer(kafka, settings);
  const admin = createKafka(settings, logger, { retries: 2, initialRetryTime: 100 }).admin();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new InitTimeout()), INIT_TIMEOUT_MS);
  });
  try {
    const connect = async () => {
      await admin.connect();
      await admin.describeCluster();
      await producer.connect();
    };
    await Promise.race([connect(), deadline]);
    return { producer, admin };
  } catch (err) {
    // Stops kafkajs's connect retries too, so nothing lingers after a failed init.
    await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    throw describeConnectError(err, settings);
  } finally {
    clearTimeout(timer);
  }
}

class InitTimeout extends Error {}

/** Names the field to fix; broker addresses are configuration, not secrets, so they are quoted. */
export function describeConnectError(err: unknown, settings: KafkaSettings): DaprkitError {
  const brokers = settings.brokers.join(',');
  if (err instanceof InitTimeout) {
    return new UnavailableError(`metadata 'brokers': cannot reach ${brokers} within ${INIT_TIMEOUT_MS} ms`);
  }
  const causes: Error[] = [];
  for (let e: unknown = err; e instanceof Error && causes.length < 8; e = e.cause) causes.push(e);
  const root = causes[causes.length - 1];
  const detail = root?.message ?? String(err);
  if (causes.some((e) => e.name === 'KafkaJSSASLAuthenticationError')) {
    return new InvalidMetadataError(
      'saslPassword',
      `SASL authentication failed for saslUsername (${settings.auth.sasl?.mechanism ?? 'plain'})`,
      {
        cause: err,
      },
    );
  }
  if (settings.auth.ssl !== undefined && /certificate|SSL|TLS|handshake|self[- ]signed/i.test(detail)) {
    return new UnavailableError(`metadata 'caCert': TLS handshake with ${brokers} failed (${detail})`, { cause: err });
  }
  if (causes.some((e) => (e as { type?: string }).type?.endsWith('AUTHORIZATION_FAILED'))) {
    return new DaprkitError(ErrorCode.PermissionDenied, `the brokers refused this client: ${detail}`, { cause: err });
  }
  return new UnavailableError(`metadata 'brokers': cannot reach ${brokers} (${detail})`, { cause: err });
}

/**
 * Connects only an admin client and asks the cluster to describe itself within INIT_TIMEOUT_MS: init of a
 * consumer-only component (an input binding), which needs the admin for offsets but no producer.
 */
export async function connectAdmin(settings: KafkaSettings, logger: Logger): Promise<Admin> {
  const admin = createKafka(settings, logger, { retries: 2, initialRetryTime: 100 }).admin();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new InitTimeout()), INIT_TIMEOUT_MS);
  });
  try {
    await Promise.race([
      (async () => {
        await admin.connect();
        await admin.describeCluster();
      })(),
      deadline,
    ]);
    return admin;
  } catch (err) {
    await admin.disconnect().catch(() => undefined);
    throw describeConnectError(err, settings);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Rejects a forced `partitionNumber` the topic does not have (kafkajs would drop the record and report success).
 * `counts` caches partition counts per topic; they are lower bounds, since partitions are never removed.
 */
export async function checkPartitionNumber(
  admin: Admin,
  counts: Map<string, number>,
  topic: string,
  partition: number,
): Promise<void> {
  let count = counts.get(topic);
  if (count === undefined || partition >= count) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      count = topics[0]?.partitions.length ?? 0;
      counts.set(topic, count);
    } catch {
      return; // unknown topic (auto-created on send) or admin trouble: the partitioner still guards
    }
  }
  if (partition >= count) {
    throw new InvalidArgumentError(
      `metadata 'partitionNumber': partition ${partition} is out of range, topic '${topic}' has ${count} partitions`,
    );
  }
}
