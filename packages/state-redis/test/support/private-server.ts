/**
 * Kept as a path for packages/sidecar/test/secret-refs.test.ts, which imports it; everything else imports
 * `@daprkit/redis-common/testing` directly, where the throw-away redis-server lives now.
 */
export { PrivateRedis, redisServerMissing } from '@daprkit/redis-common/testing';
