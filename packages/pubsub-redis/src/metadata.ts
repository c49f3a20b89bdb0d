import { field, type Metadata, parseMetadata } from '@daprkit/component-sdk';
import {
  parseRedisConnectionMetadata,
  type RedisConnectionSettings,
  redisConnectionMetadataSchema,
} from '@daprkit/redis-common';

/** Redis-family durations: bare integers are milliseconds. */
const ms = 'milliseconds' as const;

/** The pub/sub's own fields; connection fields come from @daprkit/redis-common. */
const streamFields = {
  consumerID: field.string({
    description: 'Consumer group name, also used as the consumer name (daprd sets it to the app ID).',
  }),
  processingTimeout: field.duration({
    default: 60_000,
    bareUnit: ms,
    min: 0,
    description: 'Idle time after which an unacknowledged message is reclaimed and redelivered; 0 disables reclaiming.',
  }),
  redeliverInterval: field.duration({
    default: 15_000,
    bareUnit: ms,
    min: 0,
    description: 'How often pending messages are scanned for reclaiming; 0 disables reclaiming.',
  }),
  fastRetry: field.bool({
    default: false,
    description:
      'daprkit only: hand a rejected message over again after a 100 ms…5 s backoff instead of leaving it pending for the reclaim (processingTimeout, checked every redeliverInterval), which is what contrib does.',
  }),
  queueDepth: field.int({
    default: 100,
    min: 1,
    description: 'Messages buffered per subscription; also the COUNT of each read and reclaim scan.',
  }),
  concurrency: field.int({ default: 10, min: 1, description: 'Handlers running at once per subscription.' }),
  maxLenApprox: field.int({
    min: 0,
    description: 'Approximate stream length cap applied on publish (XADD MAXLEN ~); 0 or unset = unlimited.',
  }),
  streamTTL: field.duration({
    bareUnit: ms,
    min: 0,
    description: 'Approximate age cap applied on publish (XADD MINID ~ now-ttl); ignored when maxLenApprox is set.',
  }),
};

/**
 * Component metadata (YAML `spec.metadata`), names and defaults as contrib's `pubsub.redis` (code defaults,
 * not its swapped metadata.yaml). Unknown keys are ignored.
 */
export const redisStreamsPubSubMetadataSchema = { ...redisConnectionMetadataSchema, ...streamFields };

/** How publishing trims the stream. */
export type StreamTrim = { kind: 'maxlen'; count: number } | { kind: 'minid'; ttlMs: number };

export interface RedisStreamsSettings {
  connection: RedisConnectionSettings;
  /** Group and consumer name; only subscribing needs it. */
  consumerId: string | undefined;
  /** 0 = never reclaim. */
  processingTimeoutMs: number;
  /** 0 = never reclaim. */
  redeliverIntervalMs: number;
  /** Rejected messages retried at once with backoff (daprkit) rather than left to the reclaim (contrib). */
  fastRetry: boolean;
  queueDepth: number;
  concurrency: number;
  trim: StreamTrim | undefined;
  /** Both trims were given; maxLenApprox wins (as in contrib), worth a warning. */
  conflictingTrims: boolean;
}

/** Validates component metadata. Every error names the offending field. */
export function parseRedisStreamsSettings(properties: Metadata): RedisStreamsSettings {
  const connection = parseRedisConnectionMetadata(properties);
  const m = parseMetadata(properties, streamFields);
  const maxLen = m.maxLenApprox !== undefined && m.maxLenApprox > 0 ? m.maxLenApprox : undefined;
  const ttlMs = m.streamTTL !== undefined && m.streamTTL > 0 ? m.streamTTL : undefined;
  return {
    connection,
    consumerId: m.consumerID,
    processingTimeoutMs: m.processingTimeout!,
    redeliverIntervalMs: m.redeliverInterval!,
    fastRetry: m.fastRetry!,
    queueDepth: m.queueDepth!,
    concurrency: m.concurrency!,
    trim:
      maxLen !== undefined
        ? { kind: 'maxlen', count: maxLen }
        : ttlMs !== undefined
          ? { kind: 'minid', ttlMs }
          : undefined,
    conflictingTrims: maxLen !== undefined && ttlMs !== undefined,
  };
}
