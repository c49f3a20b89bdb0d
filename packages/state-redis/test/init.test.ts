import { InvalidMetadataError, type Logger, UnavailableError } from '@daprkit/component-sdk';
import { describe, expect, it } from 'vitest';
import { RedisStateStore } from '../src/index.js';
import { describeWithRedis, storeProperties } from './support/redis.js';

/** daprd gives a component 5 s to initialise. */
const DAPRD_INIT_TIMEOUT_MS = 5000;

async function initFailure(properties: Record<string, string>, logger?: Logger): Promise<{ error: Error; ms: number }> {
  const store = new RedisStateStore({ logger });
  const started = performance.now();
  const error = await store.init(properties).then(
    () => new Error('init unexpectedly succeeded'),
    (err: Error) => err,
  );
  await store.close();
  return { error, ms: performance.now() - started };
}

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${message} ${JSON.stringify(fields ?? {})}`);
  };
  return { lines, debug: record, info: record, warn: record, error: record };
}

// Connect failures in depth (dial timeout, credentials, database) are tested in @daprkit/redis-common.
describe('init failures without a server', () => {
  it('fails fast, naming redisHost, when nothing listens', async () => {
    const { error, ms } = await initFailure({ redisHost: '127.0.0.1:1' });
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toBe("metadata 'redisHost': cannot connect to 127.0.0.1:1 (ECONNREFUSED)");
    expect(ms).toBeLessThan(DAPRD_INIT_TIMEOUT_MS);
  });

  it('rejects bad metadata before connecting', async () => {
    const { error } = await initFailure({ redisHost: '127.0.0.1:1', redisType: 'cluster' });
    expect(error).toBeInstanceOf(InvalidMetadataError);
    expect(error.message).toMatch(/^metadata 'redisType': /);
  });
});

describeWithRedis('init against the real server', () => {
  it('logs only field names for settings without effect', async () => {
    const logger = recordingLogger();
    const store = new RedisStateStore({ logger });
    await store.init(storeProperties({ poolSize: '17', queryIndexes: '[{"name":"secret-index"}]' }));
    await store.close();
    expect(logger.lines.join('\n')).toContain('"fields":["poolSize","queryIndexes"]');
    expect(logger.lines.join('\n')).not.toMatch(/17|secret-index/);
  });
});
