import { readFileSync } from 'node:fs';
import { ETagInvalidError, InvalidArgumentError, InvalidMetadataError, isETagError } from '@daprkit/component-sdk';
import { describe, expect, it } from 'vitest';
import { toClientOptions } from '../src/connect.js';
import { definitions, redisStateStoreMetadataSchema, VERSION } from '../src/index.js';
import { parseRedisSettings } from '../src/metadata.js';
import { effectiveTtl, expectedVersion } from '../src/operations.js';

const base = { redisHost: 'redis.local' };

function metadataError(properties: Record<string, string>): InvalidMetadataError {
  try {
    parseRedisSettings(properties);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidMetadataError);
    return err as InvalidMetadataError;
  }
  throw new Error('expected an InvalidMetadataError');
}

describe('metadata', () => {
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
    expect(parseRedisSettings(base)).toMatchObject({ host: 'redis.local', port: 6379, db: 0 });
    expect(parseRedisSettings({ redisHost: 'redis.local:7000' })).toMatchObject({ port: 7000 });
    expect(parseRedisSettings({ ...base, redisPort: '7001' })).toMatchObject({ port: 7001 });
    expect(parseRedisSettings({ redisHost: '[::1]:7002' })).toMatchObject({ host: '::1', port: 7002 });
    expect(metadataError({ redisHost: 'redis.local:7000', redisPort: '7001' }).field).toBe('redisPort');
    expect(metadataError({ redisHost: 'redis.local:0' }).field).toBe('redisHost');
  });

  it('matches names case-insensitively and accepts the legacy maxRetries alias', () => {
    expect(parseRedisSettings({ REDISHOST: 'h', RedisDB: '3', maxRetries: '7' })).toMatchObject({
      host: 'h',
      db: 3,
      maxRetries: 7,
    });
  });

  it('treats bare integer durations as milliseconds (Redis family) and keeps Go durations', () => {
    const s = parseRedisSettings({
      ...base,
      dialTimeout: '250',
      readTimeout: '2s',
      writeTimeout: '500ms',
      redisMinRetryInterval: '8',
    });
    expect(s).toMatchObject({ dialTimeoutMs: 250, commandTimeoutMs: 2500, minRetryIntervalMs: 8 });
    expect(metadataError({ ...base, dialTimeout: 'soon' }).field).toBe('dialTimeout');
  });

  it('uses contrib defaults: 5 s dial, 3 s read + write, 2 s..512 ms backoff, 3 retries', () => {
    expect(parseRedisSettings(base)).toMatchObject({
      dialTimeoutMs: 5000,
      commandTimeoutMs: 6000,
      minRetryIntervalMs: 2000,
      maxRetryIntervalMs: 512,
      maxRetries: 3,
      defaultTtlSeconds: undefined,
      tls: undefined,
    });
  });

  it('disables the command timeout with readTimeout -1 and retries with redisMaxRetries -1', () => {
    expect(parseRedisSettings({ ...base, readTimeout: '-1', redisMaxRetries: '-1' })).toMatchObject({
      commandTimeoutMs: undefined,
      maxRetries: 0,
    });
  });

  it('maps the legacy maxRetryBackoff (nanoseconds) unless redisMinRetryInterval is set', () => {
    expect(parseRedisSettings({ ...base, maxRetryBackoff: '3000000' }).minRetryIntervalMs).toBe(3);
    expect(
      parseRedisSettings({ ...base, maxRetryBackoff: '3000000', redisMinRetryInterval: '9' }).minRetryIntervalMs,
    ).toBe(9);
  });

  it('builds TLS options and requires clientCert and clientKey together, with enableTLS', () => {
    const tls = parseRedisSettings({
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

  it('accepts poolSize and queryIndexes but reports them as without effect', () => {
    expect(parseRedisSettings({ ...base, poolSize: '20', queryIndexes: '[]' }).ignored).toEqual([
      'poolSize',
      'queryIndexes',
    ]);
    expect(parseRedisSettings(base).ignored).toEqual([]);
  });

  it('reads the component default ttlInSeconds within [-1, 2^31-1]', () => {
    expect(parseRedisSettings({ ...base, ttlInSeconds: '60' }).defaultTtlSeconds).toBe(60);
    expect(metadataError({ ...base, ttlInSeconds: '-2' }).field).toBe('ttlInSeconds');
  });

  it('gives ioredis a bounded connect: no reconnects during init, capped exponential backoff afterwards', () => {
    const settings = parseRedisSettings({ ...base, redisMinRetryInterval: '100', redisMaxRetryInterval: '1s' });
    let connected = false;
    const options = toClientOptions(settings, () => connected);
    expect(options).toMatchObject({ lazyConnect: true, connectTimeout: 5000, maxRetriesPerRequest: 3, db: 0 });
    expect(options.retryStrategy?.(1)).toBeNull();
    connected = true;
    expect([1, 2, 3, 4, 5].map((n) => options.retryStrategy?.(n))).toEqual([100, 200, 400, 800, 1000]);
  });

  it('documents every field in the schema', () => {
    for (const [name, f] of Object.entries(redisStateStoreMetadataSchema))
      expect(f.options.description, name).toBeTruthy();
  });
});

describe('etag and ttl parsing', () => {
  it('passes positive integers through and treats absent or empty as unguarded', () => {
    expect(expectedVersion(undefined)).toBe('');
    expect(expectedVersion('')).toBe('');
    expect(expectedVersion('1')).toBe('1');
    expect(expectedVersion('9999999')).toBe('9999999');
  });

  it.each(['abc', '0', '-1', '1.5', '07', ' 1', 'bad-etag', '1e3'])('rejects %j as an invalid etag', (etag) => {
    let thrown: unknown;
    try {
      expectedVersion(etag);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ETagInvalidError);
    expect(isETagError(thrown, 'invalid')).toBe(true);
  });

  it('takes the request ttlInSeconds, then the component default, else 0 (no expiry)', () => {
    expect(effectiveTtl({ ttlInSeconds: '5' }, 60)).toBe(5);
    expect(effectiveTtl({ ttlInSeconds: '-1' }, 60)).toBe(-1);
    expect(effectiveTtl({}, 60)).toBe(60);
    expect(effectiveTtl(undefined, undefined)).toBe(0);
    expect(() => effectiveTtl({ ttlInSeconds: 'foo' }, 60)).toThrow(InvalidArgumentError);
  });
});

describe('package', () => {
  it('keeps VERSION in step with package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });

  it('defines state.redis served as daprkit-redis', () => {
    expect(definitions).toHaveLength(1);
    expect(definitions[0]).toMatchObject({
      kind: 'state',
      socketName: 'daprkit-redis',
      types: ['state.redis'],
      packageName: '@daprkit/state-redis',
      version: VERSION,
    });
  });
});
