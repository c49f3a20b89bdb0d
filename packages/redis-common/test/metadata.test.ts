import { InvalidMetadataError } from '@daprkit/component-sdk';
import { describe, expect, it } from 'vitest';
import { parseRedisConnectionMetadata, redisConnectionMetadataSchema, toClientOptions } from '../src/index.js';

const base = { redisHost: 'redis.local' };

function metadataError(properties: Record<string, string>): InvalidMetadataError {
  try {
    parseRedisConnectionMetadata(properties);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidMetadataError);
    return err as InvalidMetadataError;
  }
  throw new Error('expected an InvalidMetadataError');
}

describe('connection metadata', () => {
  it('requires redisHost', () => {
    expect(metadataError({}).message).toBe("metadata 'redisHost': is required");
  });

  it('names redisDB when it is not a non-negative integer', () => {
    expect(metadataError({ ...base, redisDB: 'one' }).field).toBe('redisDB');
    expect(metadataError({ ...base, redisDB: '-1' }).field).toBe('redisDB');
  });

  it("rejects redisType 'cluster' and failover as not supported yet", () => {
    const cluster = metadataError({ ...base, redisType: 'cluster' });
    expect(cluster.field).toBe('redisType');
    expect(cluster.message).toMatch(/not supported yet/);
    const failover = metadataError({ ...base, failover: 'true' });
    expect(failover.field).toBe('failover');
    expect(failover.message).toMatch(/not supported yet/);
    expect(metadataError({ redisHost: 'a:6379,b:6379' }).field).toBe('redisHost');
  });

  it('reads host[:port], fills the port from redisPort and rejects a conflicting one', () => {
    expect(parseRedisConnectionMetadata(base)).toMatchObject({ host: 'redis.local', port: 6379, db: 0 });
    expect(parseRedisConnectionMetadata({ redisHost: 'redis.local:7000' })).toMatchObject({ port: 7000 });
    expect(parseRedisConnectionMetadata({ ...base, redisPort: '7001' })).toMatchObject({ port: 7001 });
    expect(parseRedisConnectionMetadata({ redisHost: '[::1]:7002' })).toMatchObject({ host: '::1', port: 7002 });
    expect(metadataError({ redisHost: 'redis.local:7000', redisPort: '7001' }).field).toBe('redisPort');
    expect(metadataError({ redisHost: 'redis.local:0' }).field).toBe('redisHost');
  });

  it('matches names case-insensitively and accepts the legacy maxRetries alias', () => {
    expect(parseRedisConnectionMetadata({ REDISHOST: 'h', RedisDB: '3', maxRetries: '7' })).toMatchObject({
      host: 'h',
      db: 3,
      maxRetries: 7,
    });
  });

  it('treats bare integer durations as milliseconds (Redis family) and keeps Go durations', () => {
    const s = parseRedisConnectionMetadata({
      ...base,
      dialTimeout: '250',
      readTimeout: '2s',
      writeTimeout: '500ms',
      redisMinRetryInterval: '8',
    });
    expect(s).toMatchObject({ dialTimeoutMs: 250, readTimeoutMs: 2000, commandTimeoutMs: 2500, minRetryIntervalMs: 8 });
    expect(metadataError({ ...base, dialTimeout: 'soon' }).field).toBe('dialTimeout');
  });

  it('uses contrib defaults: 5 s dial, 3 s read + write, 8 ms..512 ms backoff, 3 retries', () => {
    expect(parseRedisConnectionMetadata(base)).toMatchObject({
      dialTimeoutMs: 5000,
      readTimeoutMs: 3000,
      commandTimeoutMs: 6000,
      minRetryIntervalMs: 8,
      maxRetryIntervalMs: 512,
      maxRetries: 3,
      tls: undefined,
    });
  });

  it('lets a component choose its own minimum backoff default (the state store uses 2 s)', () => {
    const options = { defaultMinRetryIntervalMs: 2000 };
    expect(parseRedisConnectionMetadata(base, options).minRetryIntervalMs).toBe(2000);
    expect(parseRedisConnectionMetadata({ ...base, redisMinRetryInterval: '1s' }, options).minRetryIntervalMs).toBe(
      1000,
    );
  });

  it('disables the command timeout with readTimeout -1 and retries with redisMaxRetries -1', () => {
    expect(parseRedisConnectionMetadata({ ...base, readTimeout: '-1', redisMaxRetries: '-1' })).toMatchObject({
      readTimeoutMs: undefined,
      commandTimeoutMs: undefined,
      maxRetries: 0,
    });
  });

  it('maps the legacy maxRetryBackoff (nanoseconds) unless redisMinRetryInterval is set', () => {
    expect(parseRedisConnectionMetadata({ ...base, maxRetryBackoff: '3000000' }).minRetryIntervalMs).toBe(3);
    expect(
      parseRedisConnectionMetadata({ ...base, maxRetryBackoff: '3000000', redisMinRetryInterval: '9' })
        .minRetryIntervalMs,
    ).toBe(9);
  });

  it('builds TLS options and requires clientCert and clientKey together, with enableTLS', () => {
    const tls = parseRedisConnectionMetadata({
      ...base,
      enableTLS: 'true',
      insecureSkipTLSVerify: 'yes',
      clientCert: 'CERT',
      clientKey: 'KEY',
    });
    expect(tls.tls).toEqual({ rejectUnauthorized: false, cert: 'CERT', key: 'KEY' });
    expect(toClientOptions(tls, () => false).tls).toEqual({
      servername: 'redis.local',
      rejectUnauthorized: false,
      cert: 'CERT',
      key: 'KEY',
    });
    expect(metadataError({ ...base, enableTLS: 'true', clientCert: 'CERT' }).field).toBe('clientKey');
    expect(metadataError({ ...base, clientCert: 'CERT', clientKey: 'KEY' }).field).toBe('clientCert');
  });

  it('accepts poolSize but reports it as without effect', () => {
    expect(parseRedisConnectionMetadata({ ...base, poolSize: '20' }).ignored).toEqual(['poolSize']);
    expect(parseRedisConnectionMetadata(base).ignored).toEqual([]);
  });

  it('gives ioredis a bounded connect: no reconnects during init, capped exponential backoff afterwards', () => {
    const settings = parseRedisConnectionMetadata({
      ...base,
      redisMinRetryInterval: '100',
      redisMaxRetryInterval: '1s',
    });
    let connected = false;
    const options = toClientOptions(settings, () => connected);
    expect(options).toMatchObject({ lazyConnect: true, connectTimeout: 5000, maxRetriesPerRequest: 3, db: 0 });
    expect(options.retryStrategy?.(1)).toBeNull();
    connected = true;
    expect([1, 2, 3, 4, 5].map((n) => options.retryStrategy?.(n))).toEqual([100, 200, 400, 800, 1000]);
  });

  it('documents every field in the schema', () => {
    for (const [name, f] of Object.entries(redisConnectionMetadataSchema))
      expect(f.options.description, name).toBeTruthy();
  });
});
