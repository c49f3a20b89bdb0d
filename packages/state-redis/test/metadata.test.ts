import { readFileSync } from 'node:fs';
import { ETagInvalidError, InvalidArgumentError, InvalidMetadataError, isETagError } from '@daprkit/component-sdk';
import { redisConnectionMetadataSchema } from '@daprkit/redis-common';
import { describe, expect, it } from 'vitest';
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
  it("takes connection settings from @daprkit/redis-common, with the state store's 2 s minimum backoff", () => {
    expect(parseRedisSettings(base)).toMatchObject({
      host: 'redis.local',
      port: 6379,
      dialTimeoutMs: 5000,
      commandTimeoutMs: 6000,
      minRetryIntervalMs: 2000,
      maxRetryIntervalMs: 512,
      defaultTtlSeconds: undefined,
    });
    expect(metadataError({ ...base, redisType: 'cluster' }).field).toBe('redisType');
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

  it('documents every field in the schema, connection fields included', () => {
    expect(Object.keys(redisStateStoreMetadataSchema)).toEqual(
      expect.arrayContaining([...Object.keys(redisConnectionMetadataSchema), 'ttlInSeconds', 'queryIndexes']),
    );
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
