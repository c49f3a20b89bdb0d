import { randomUUID } from 'node:crypto';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { InvalidMetadataError, type Logger, UnavailableError } from '@daprkit/component-sdk';
import { describe, expect, it } from 'vitest';
import { connectRedis, isTransientRedisError, parseRedisConnectionMetadata } from '../src/index.js';
import { createDescribeWithRedis, REDIS_HOST } from '../src/testing/index.js';

const describeWithRedis = await createDescribeWithRedis();

/** daprd gives a component 5 s to initialise. */
const DAPRD_INIT_TIMEOUT_MS = 5000;

async function connectFailure(
  properties: Record<string, string>,
  logger: Logger = recordingLogger(),
): Promise<{ error: Error; ms: number }> {
  const started = performance.now();
  const error = await connectRedis(parseRedisConnectionMetadata(properties), logger).then(
    (client) => {
      client.disconnect();
      return new Error('connect unexpectedly succeeded');
    },
    (err: Error) => err,
  );
  return { error, ms: performance.now() - started };
}

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${message} ${JSON.stringify(fields ?? {})}`);
  };
  return { lines, debug: record, info: record, warn: record, error: record };
}

describe('connect failures without a server', () => {
  it('fails fast, naming redisHost, when nothing listens', async () => {
    const { error, ms } = await connectFailure({ redisHost: '127.0.0.1:1' });
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toBe("metadata 'redisHost': cannot connect to 127.0.0.1:1 (ECONNREFUSED)");
    expect(ms).toBeLessThan(DAPRD_INIT_TIMEOUT_MS);
  });

  it('gives up after dialTimeout when the server accepts but never answers', async () => {
    const sockets: Socket[] = [];
    // Accepts TCP and reads (so a client close is seen) but never speaks RESP.
    const silent = createServer((socket) => sockets.push(socket.resume()));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const { error, ms } = await connectFailure({ redisHost: `127.0.0.1:${port}`, dialTimeout: '300' });
      expect(error).toBeInstanceOf(UnavailableError);
      expect(error.message).toBe(
        `metadata 'redisHost': cannot connect to 127.0.0.1:${port} within dialTimeout (300 ms)`,
      );
      expect(ms).toBeGreaterThanOrEqual(290);
      expect(ms).toBeLessThan(1500);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(sockets.length).toBeGreaterThan(0);
      expect(sockets.every((socket) => socket.closed)).toBe(true); // the failed connect left nothing open
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});

describe('isTransientRedisError', () => {
  const reply = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });

  it('treats connection failures and "try again" replies as transient, other replies as permanent', () => {
    expect(isTransientRedisError(new Error('Connection is closed.'))).toBe(true);
    expect(isTransientRedisError(reply("OOM command not allowed when used memory > 'maxmemory'."))).toBe(true);
    expect(isTransientRedisError(reply('LOADING Redis is loading the dataset in memory'))).toBe(true);
    expect(isTransientRedisError(reply('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(
      false,
    );
    expect(isTransientRedisError('not an error')).toBe(false);
  });
});

describeWithRedis('connect against the real server', () => {
  it('connects and answers commands', async () => {
    const client = await connectRedis(parseRedisConnectionMetadata({ redisHost: REDIS_HOST }), recordingLogger());
    try {
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });

  it('names redisPassword on rejected credentials without echoing them or logging metadata values', async () => {
    // The test server's default user has no password (any password is accepted), so an unknown ACL user
    // triggers the rejection; Redis answers WRONGPASS alike for a bad user and a bad password.
    const password = `pw-${randomUUID()}`;
    const user = `daprkit-no-such-user-${randomUUID()}`;
    const logger = recordingLogger();
    const { error, ms } = await connectFailure(
      { redisHost: REDIS_HOST, redisUsername: user, redisPassword: password },
      logger,
    );
    expect(error).toBeInstanceOf(InvalidMetadataError);
    expect((error as InvalidMetadataError).field).toBe('redisPassword');
    expect(error.message).not.toContain(password);
    expect(error.message).not.toContain(user);
    expect(ms).toBeLessThan(DAPRD_INIT_TIMEOUT_MS);
    for (const line of logger.lines) {
      expect(line).not.toContain(password);
      expect(line).not.toContain(user);
    }
  });

  it('names redisDB when the database does not exist', async () => {
    const { error } = await connectFailure({ redisHost: REDIS_HOST, redisDB: '9999' });
    expect(error).toBeInstanceOf(InvalidMetadataError);
    expect((error as InvalidMetadataError).field).toBe('redisDB');
  });
});
