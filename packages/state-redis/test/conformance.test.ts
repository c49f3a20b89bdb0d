import { describeStateConformance } from '@daprkit/conformance';
import { probeRedis, REDIS_HOST } from '@daprkit/redis-common/testing';
import { definitions } from '../src/index.js';

describeStateConformance({
  definition: definitions[0]!,
  // A database of its own: the suite writes fixed keys.
  properties: { redisHost: REDIS_HOST, redisDB: '6' },
  operations: ['transaction', 'etag', 'first-write', 'ttl', 'actorStateStore'],
  config: { badEtag: '9999999' },
  backend: { name: 'redis', probe: () => probeRedis() },
  packageDir: new URL('..', import.meta.url),
});
