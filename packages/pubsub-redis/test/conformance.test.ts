import { randomUUID } from 'node:crypto';
import { describePubSubConformance } from '@daprkit/conformance';
import { probeRedis, REDIS_HOST } from '@daprkit/redis-common/testing';
import { afterAll } from 'vitest';
import { definitions } from '../src/index.js';
import { rawClient } from './support/redis.js';

/** A database of its own. Topics are unique per run: a new consumer group starts at the beginning of a stream. */
const CONFORMANCE_DB = 8;
const run = randomUUID();
const topic = (name: string) => `conformance-${run}-${name}`;

describePubSubConformance({
  definition: definitions[0]!,
  // Upstream's redis pub/sub conformance settings, with a consumer group of our own per run.
  properties: {
    redisHost: REDIS_HOST,
    redisDB: String(CONFORMANCE_DB),
    consumerID: `conf-${run}`,
    processingTimeout: '5s',
    redeliverInterval: '1s',
    concurrency: '1',
  },
  operations: ['bulkpublish'],
  config: {
    testTopicName: topic('testTopic'),
    testMultiTopic1Name: topic('multiTopic1'),
    testMultiTopic2Name: topic('multiTopic2'),
    extensionTopicPrefix: topic('ext-'),
    metadataRoundTrip: true,
  },
  backend: { name: 'redis', probe: () => probeRedis() },
  packageDir: new URL('..', import.meta.url),
});

afterAll(async () => {
  const client = rawClient(CONFORMANCE_DB);
  try {
    const keys = await client.keys(`conformance-${run}-*`);
    if (keys.length > 0) await client.del(...keys);
  } catch {
    // Redis unreachable: the suite was skipped and wrote nothing.
  } finally {
    client.disconnect();
  }
});
