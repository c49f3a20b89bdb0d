/**
 * @daprkit/redis-common — the Redis connection settings every daprkit Redis component shares (contrib's
 * `redisHost`, `redisPassword`, TLS, retry and timeout metadata) and a connect that fails fast with errors
 * naming the metadata field to fix.
 */
export { connectRedis, isTransientRedisError, toClientOptions } from './connect.js';
export {
  GO_REDIS_MIN_RETRY_INTERVAL_MS,
  type ParseConnectionOptions,
  parseRedisConnectionMetadata,
  type RedisConnectionSettings,
  redisConnectionMetadataSchema,
} from './metadata.js';
