import { UnavailableError } from '@daprkit/component-sdk';
import { describeWithPrivateRedis } from '@daprkit/redis-common/testing';
import { expect, it } from 'vitest';
import { RedisStreamsPubSub } from '../src/index.js';
import { publishRequest, waitUntil } from './support/redis.js';

describeWithPrivateRedis('RedisStreamsPubSub against a private redis-server (crash, restart)', (redis) => {
  it('fails publishes as retryable while the server is down, and keeps its subscription reading once it is back', async () => {
    const pubsub = new RedisStreamsPubSub();
    await pubsub.init({
      redisHost: redis.server.host,
      redisPassword: redis.password,
      consumerID: 'app',
      redisMaxRetries: '2',
      redisMaxRetryInterval: '100',
      readTimeout: '500ms',
    });
    const received: string[] = [];
    const subscription = new AbortController();
    try {
      await pubsub.subscribe(
        { topic: 'orders', metadata: {} },
        async (message) => {
          received.push(Buffer.from(message.data).toString());
        },
        subscription.signal,
      );
      await pubsub.publish(publishRequest('orders', 'before'));
      await waitUntil(() => received.includes('before'));

      await redis.server.kill();
      const started = Date.now();
      const down = await pubsub.publish(publishRequest('orders', 'lost')).catch((e: unknown) => e);
      expect(down).toBeInstanceOf(UnavailableError);
      expect((down as UnavailableError).retryable).toBe(true);
      expect(Date.now() - started).toBeLessThan(3000); // bounded by redisMaxRetries, not hanging

      // Back, but empty (no persistence): the stream and its group are gone and must be recreated.
      await redis.server.restart();
      await waitUntil(async () =>
        pubsub.publish(publishRequest('orders', 'after')).then(
          () => true,
          () => false,
        ),
      );
      await waitUntil(() => received.includes('after'), 10_000);
    } finally {
      subscription.abort();
      await pubsub.close();
    }
  });
});
