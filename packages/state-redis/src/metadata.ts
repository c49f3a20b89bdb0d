import { field, type Metadata, parseMetadata } from '@daprkit/component-sdk';
import {
  parseRedisConnectionMetadata,
  type RedisConnectionSettings,
  redisConnectionMetadataSchema,
} from '@daprkit/redis-common';

/** contrib's state store waits longer before reconnecting than its other Redis components. */
const STATE_MIN_RETRY_INTERVAL_MS = 2000;

/** The state store's own fields; connection fields come from @daprkit/redis-common. */
const stateFields = {
  ttlInSeconds: field.int({
    min: -1,
    max: 2 ** 31 - 1,
    description: 'Default TTL for writes without a request ttlInSeconds; -1/0 = no expiry.',
  }),
  queryIndexes: field.string({
    description: 'Accepted for compatibility and ignored: the query API (RediSearch/RedisJSON) is not implemented.',
  }),
};

/**
 * Component metadata (YAML `spec.metadata`), names and defaults as contrib's `state.redis`.
 * Unknown keys are ignored: daprd passes its own (`keyPrefix`, `actorStateStore`, ...).
 */
export const redisStateStoreMetadataSchema = { ...redisConnectionMetadataSchema, ...stateFields };

export interface RedisSettings extends RedisConnectionSettings {
  /** Component default TTL in seconds, or undefined. */
  defaultTtlSeconds: number | undefined;
}

/** Validates component metadata into connection settings plus the store's own. Errors name the field. */
export function parseRedisSettings(properties: Metadata): RedisSettings {
  const connection = parseRedisConnectionMetadata(properties, {
    defaultMinRetryIntervalMs: STATE_MIN_RETRY_INTERVAL_MS,
  });
  const m = parseMetadata(properties, stateFields);
  return {
    ...connection,
    defaultTtlSeconds: m.ttlInSeconds,
    ignored: [...connection.ignored, ...(m.queryIndexes === undefined ? [] : ['queryIndexes'])],
  };
}
