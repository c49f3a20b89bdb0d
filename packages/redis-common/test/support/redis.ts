/**
 * Test access to the real Redis (`bash scripts/services.sh up redis`). Without it the Redis suites are
 * skipped with the reason in their name locally, and fail in CI (`CI=true`), where a skip would hide a gap.
 */
import { Redis } from 'ioredis';
import { describe, it } from 'vitest';

export const REDIS_HOST = process.env.DAPRKIT_REDIS_HOST ?? '127.0.0.1:6379';

/** Throws when Redis does not answer a PING within a second. */
export async function probeRedis(host = REDIS_HOST): Promise<void> {
  const [name, port] = host.split(':');
  const client = new Redis({
    host: name,
    port: Number(port ?? 6379),
    lazyConnect: true,
    connectTimeout: 1000,
    commandTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // connect() rejects with a bare "Connection is closed."; the 'error' event has the cause (ECONNREFUSED, ...).
  let cause: Error | undefined;
  client.on('error', (err: Error) => {
    cause ??= err;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw cause ?? err;
  } finally {
    client.disconnect();
  }
}

const unreachable = await probeRedis().then(
  () => undefined,
  (err: Error) => err.message || String(err),
);

/** `describe` for suites that need the shared Redis server: skipped visibly without it, failing in CI. */
export function describeWithRedis(name: string, body: () => void): void {
  if (unreachable === undefined) {
    describe(name, body);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it('has its backend', () => {
        throw new Error(`Redis unreachable at ${REDIS_HOST}: ${unreachable}; CI must provide it`);
      });
    });
  } else {
    describe.skip(
      `${name} [skipped: Redis unreachable at ${REDIS_HOST}: ${unreachable}; run bash scripts/services.sh up redis]`,
      body,
    );
  }
}
