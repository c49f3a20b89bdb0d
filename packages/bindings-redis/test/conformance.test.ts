import { randomUUID } from 'node:crypto';
import { describeOutputBindingConformance } from '@daprkit/conformance';
import { probeRedis, REDIS_HOST } from '@daprkit/redis-common/testing';
import { definitions } from '../src/index.js';

// Upstream's redis.v6/v7 entry: ["create", "operations"], output metadata key: $((uuid)). get/delete are claimed
// too (the binding has them): get returns what create wrote, and after delete get is empty.
describeOutputBindingConformance({
  definition: definitions[0]!,
  properties: { redisHost: REDIS_HOST, redisDB: '7' },
  operations: ['create', 'get', 'delete', 'increment'],
  config: { output: { key: `daprkit-bindings-redis-conformance-${randomUUID()}` } },
  backend: { name: 'redis', probe: () => probeRedis() },
  packageDir: new URL('..', import.meta.url),
});
