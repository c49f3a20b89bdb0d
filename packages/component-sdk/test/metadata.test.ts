import { field, InvalidMetadataError, parseDuration, parseMetadata, parseTtlInSeconds } from '@daprkit/component-sdk';
import { describe, expect, it } from 'vitest';

describe('parseMetadata', () => {
  const schema = {
    redisHost: field.string({ required: true }),
    redisDB: field.int({ default: 0, min: 0 }),
    enableTLS: field.bool({ default: false }),
    timeout: field.duration({ default: 5000, aliases: ['timeoutInSeconds'] }),
    mode: field.enum({ values: ['single', 'parallel'] as const, default: 'parallel' }),
    password: field.string({ secret: true }),
  };

  it('reads typed values case-insensitively, with defaults and aliases', () => {
    const m = parseMetadata(
      { REDISHOST: 'h:1', redisdb: '3', enableTLS: 'yes', timeoutInSeconds: '2', mode: 'SINGLE' },
      schema,
    );
    expect(m).toEqual({
      redisHost: 'h:1',
      redisDB: 3,
      enableTLS: true,
      timeout: 2000,
      mode: 'single',
      password: undefined,
    });
  });

  it('names the field in every error and hides secret values', () => {
    expect(() => parseMetadata({}, schema)).toThrow(/metadata 'redisHost': is required/);
    expect(() => parseMetadata({ redisHost: 'x', redisDB: 'abc' }, schema)).toThrow(InvalidMetadataError);
    expect(() => parseMetadata({ redisHost: 'x', redisDB: '-1' }, schema)).toThrow(/'redisDB': must be >= 0/);
    expect(() => parseMetadata({ redisHost: 'x', enableTLS: 'maybe' }, schema)).toThrow(/'enableTLS'/);
    expect(() => parseMetadata({ redisHost: 'x', redishost: 'y' }, schema)).toThrow(/different casing/);
  });

  it('parses Go durations and bare numbers', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('10')).toBe(10_000);
    expect(parseDuration('10', 'milliseconds')).toBe(10);
    expect(parseDuration('ten')).toBeUndefined();
  });

  it('validates ttlInSeconds like contrib', () => {
    expect(parseTtlInSeconds({})).toBeUndefined();
    expect(parseTtlInSeconds({ ttlInSeconds: '-1' })).toBe(-1);
    expect(parseTtlInSeconds({ ttlInSeconds: '60' })).toBe(60);
    expect(() => parseTtlInSeconds({ ttlInSeconds: 'foo' })).toThrow(/incorrect value for metadata 'ttlInSeconds'/);
    expect(() => parseTtlInSeconds({ ttlInSeconds: '-2' })).toThrow(/out of range/);
  });
});

describe('parseMetadata types', () => {
  it('types defaulted and required fields as always present', () => {
    const m = parseMetadata(
      { a: 'x' },
      { a: field.string({ required: true }), b: field.int({ default: 1 }), c: field.bool() },
    );
    const a: string = m.a;
    const b: number = m.b;
    // @ts-expect-error c has no default and is not required
    const c: boolean = m.c;
    expect([a, b, c]).toEqual(['x', 1, undefined]);
  });
});
