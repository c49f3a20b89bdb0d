import { randomUUID } from 'node:crypto';
import { InvalidMetadataError, UnavailableError } from '@daprkit/component-sdk';
import { describeWithPrivateRedis } from '@daprkit/redis-common/testing';
import { expect, it } from 'vitest';
import { RedisStateStore } from '../src/index.js';
import { getRequest, setRequest, text } from './support/redis.js';

describeWithPrivateRedis('RedisStateStore against a private redis-server (password, crash, restart)', (redis) => {
  it('names redisPassword for a wrong password, without echoing either password', async () => {
    const wrong = `wrong-${randomUUID()}`;
    const store = new RedisStateStore();
    const error = await store.init({ redisHost: redis.server.host, redisPassword: wrong }).catch((e: Error) => e);
    await store.close();
    expect(error).toBeInstanceOf(InvalidMetadataError);
    expect((error as InvalidMetadataError).field).toBe('redisPassword');
    expect((error as Error).message).not.toContain(wrong);
    expect((error as Error).message).not.toContain(redis.password);
  });

  it('fails calls as retryable while the server is down and recovers once it is back', async () => {
    const store = new RedisStateStore();
    await store.init({
      redisHost: redis.server.host,
      redisPassword: redis.password,
      redisMaxRetries: '2',
      redisMaxRetryInterval: '100',
    });
    try {
      await store.set(setRequest('app||k', 'before'));
      await redis.server.kill();
      const started = Date.now();
      const down = await store.get(getRequest('app||k')).catch((e: unknown) => e);
      expect(down).toBeInstanceOf(UnavailableError);
      expect((down as UnavailableError).retryable).toBe(true);
      expect(Date.now() - started).toBeLessThan(3000); // bounded by redisMaxRetries, not hanging

      await redis.server.restart(); // empty: no persistence
      let after: Awaited<ReturnType<RedisStateStore['get']>> | undefined;
      for (let i = 0; i < 50 && after === undefined; i++) {
        after = await store.get(getRequest('app||k')).catch(() => undefined);
        if (after === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(after).toEqual({});
      await store.set(setRequest('app||k', 'after')); // scripts are re-sent to the new server (NOSCRIPT handled)
      expect(text((await store.get(getRequest('app||k'))).data)).toBe('after');
    } finally {
      await store.close();
    }
  });
});
