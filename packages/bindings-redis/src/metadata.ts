import type { Metadata } from '@daprkit/component-sdk';
import {
  GO_REDIS_MIN_RETRY_INTERVAL_MS,
  parseRedisConnectionMetadata,
  type RedisConnectionSettings,
  redisConnectionMetadataSchema,
} from '@daprkit/redis-common';

/** Legacy spellings contrib's binding does not honour (only its state store and pub/sub read them). */
const NOT_FOR_BINDINGS = new Set(['maxretries', 'maxretrybackoff']);

const { maxRetryBackoff: _legacyBackoff, ...bindingConnectionSchema } = redisConnectionMetadataSchema;

/**
 * Component metadata (YAML `spec.metadata`) of `bindings.redis`: contrib's shared Redis connection settings with
 * the Redis client's own defaults (redisMinRetryInterval 8ms), without the legacy `maxRetries`/`maxRetryBackoff`.
 */
export const redisBindingMetadataSchema = {
  ...bindingConnectionSchema,
  redisMaxRetries: {
    ...redisConnectionMetadataSchema.redisMaxRetries,
    options: { ...redisConnectionMetadataSchema.redisMaxRetries.options, aliases: [] },
  },
  // Documents the binding's default (go-redis's 8 ms, which parseRedisBindingSettings passes to redis-common).
  redisMinRetryInterval: {
    ...redisConnectionMetadataSchema.redisMinRetryInterval,
    options: {
      ...redisConnectionMetadataSchema.redisMinRetryInterval.options,
      default: GO_REDIS_MIN_RETRY_INTERVAL_MS,
      description: 'Minimum reconnect backoff (bare integers are milliseconds).',
    },
  },
};

export function parseRedisBindingSettings(properties: Metadata): RedisConnectionSettings {
  const kept: Metadata = {};
  const dropped: string[] = [];
  for (const [k, v] of Object.entries(properties)) {
    if (NOT_FOR_BINDINGS.has(k.toLowerCase())) dropped.push(k);
    else kept[k] = v;
  }
  const settings = parseRedisConnectionMetadata(kept, { defaultMinRetryIntervalMs: GO_REDIS_MIN_RETRY_INTERVAL_MS });
  return { ...settings, ignored: [...settings.ignored, ...dropped] };
}
