import { describe, expect, it } from 'vitest';
import { parseConnectionString } from '../src/connection-string.js';
import { readSettings } from '../src/metadata.js';
import { decodeValue, encodeValue, parseSqliteTime, rfc3339Seconds } from '../src/values.js';
import { bytes } from './support.js';

describe('metadata', () => {
  it('applies contrib defaults and aliases', () => {
    const s = readSettings({ url: '/tmp/x.db' });
    expect(s).toMatchObject({
      timeoutMs: 20_000,
      busyTimeoutMs: 2_000,
      tableName: 'state',
      metadataTableName: 'metadata',
      cleanupIntervalMs: 0,
    });
    expect(s.target).toMatchObject({ filename: '/tmp/x.db', journalMode: 'WAL', txLock: 'immediate' });
    const t = readSettings({
      connectionString: 'a.db',
      timeoutInSeconds: '5',
      cleanupIntervalInSeconds: '10',
      busyTimeout: '250ms',
      disableWAL: 'true',
    });
    expect(t).toMatchObject({ timeoutMs: 5_000, cleanupIntervalMs: 10_000, busyTimeoutMs: 250 });
    expect(t.target.journalMode).toBe('DELETE');
  });

  it('rejects bad input naming the field', () => {
    expect(() => readSettings({})).toThrow(/connectionString.*missing connection string/);
    expect(() => readSettings({ connectionString: 'a.db', timeout: '500ms' })).toThrow(/timeout.*greater than 1s/);
    expect(() => readSettings({ connectionString: 'a.db', tableName: 'bad-name' })).toThrow(
      /tableName.*invalid identifier/,
    );
    expect(() => readSettings({ connectionString: 'a.db', metadataTableName: 'x;drop' })).toThrow(/metadataTableName/);
    expect(() => readSettings({ connectionString: 'a.db', disableWAL: 'maybe' })).toThrow(/disableWAL/);
  });
});

describe('connection strings (contrib rules, taken apart for better-sqlite3)', () => {
  it('reads file: URIs, percent escapes and access modes', () => {
    expect(parseConnectionString('file:data.db', false)).toMatchObject({ filename: 'data.db', readonly: false });
    expect(parseConnectionString('file:///var/lib/my%20db.sqlite?mode=ro', false)).toMatchObject({
      filename: '/var/lib/my db.sqlite',
      readonly: true,
      journalMode: 'DELETE',
    });
    expect(parseConnectionString('file://localhost/x.db?mode=rw', false)).toMatchObject({
      filename: '/x.db',
      fileMustExist: true,
    });
    expect(parseConnectionString('file:x.db?immutable=1', false).readonly).toBe(true);
    expect(() => parseConnectionString('file://elsewhere/x.db', false)).toThrow(/authority/);
    expect(() => parseConnectionString('file:x.db?mode=bogus', false)).toThrow(/access mode/);
  });

  it('recognises in-memory databases', () => {
    for (const cs of [':memory:', 'file::memory:', 'FILE::memory:?cache=shared', 'file:x?mode=memory']) {
      expect(parseConnectionString(cs, false)).toMatchObject({ filename: ':memory:', memory: true });
    }
    expect(parseConnectionString(':memory:', true).journalMode).toBe('MEMORY');
  });

  it('runs _pragma values, refuses the ones contrib manages, honours _txlock', () => {
    const t = parseConnectionString(
      'file:a.db?_pragma=synchronous(NORMAL)&_pragma=cache_size(-4000)&_txlock=EXCLUSIVE',
      false,
    );
    expect(t.pragmas).toEqual(['synchronous(NORMAL)', 'cache_size(-4000)']);
    expect(t.txLock).toBe('exclusive');
    expect(t.nonImmediateTxLock).toBe(true);
    expect(() => parseConnectionString('a.db?_pragma=busy_timeout(10)', false)).toThrow(/busy_timeout.*busyTimeout/);
    expect(() => parseConnectionString('a.db?_pragma=journal_mode(WAL)', false)).toThrow(/journal_mode.*disableWAL/);
    expect(() => parseConnectionString('a.db?_pragma=foreign_keys(1)', false)).toThrow(/foreign_keys/);
    expect(() => parseConnectionString('a.db?_pragma=x;DROP TABLE state', false)).toThrow(/invalid _pragma/);
    expect(() => parseConnectionString('a.db?_txlock=sometimes', false)).toThrow(/_txlock/);
    expect(parseConnectionString('a.db?vfs=unix-none&nolock=1', false).ignored).toEqual(['vfs', 'nolock']);
  });
});

describe('values', () => {
  it('stores JSON as its text and everything else as base64 (is_binary)', () => {
    expect(encodeValue(bytes('{"b":1,"a":[true,null]}'))).toEqual({ text: '{"b":1,"a":[true,null]}', isBinary: 0 });
    expect(encodeValue(bytes('"hi"'))).toEqual({ text: '"hi"', isBinary: 0 });
    expect(encodeValue(bytes('hello'))).toEqual({ text: 'aGVsbG8=', isBinary: 1 });
    expect(encodeValue(new Uint8Array([0xff, 0x00, 0x7b]))).toEqual({ text: '/wB7', isBinary: 1 });
    expect(encodeValue(new Uint8Array([]))).toEqual({ text: '', isBinary: 1 });
  });

  it('reads back both kinds, whatever integer/boolean form is_binary has', () => {
    expect(new TextDecoder().decode(decodeValue('aGVsbG8=', 1))).toBe('hello');
    expect(new TextDecoder().decode(decodeValue('aGVsbG8=', 1n))).toBe('hello');
    expect(new TextDecoder().decode(decodeValue('"hi"', 0))).toBe('"hi"');
  });

  it('parses SQLite UTC text timestamps and formats contrib ttlExpireTime', () => {
    const ms = parseSqliteTime('2026-12-02 01:02:03');
    expect(ms).toBe(Date.UTC(2026, 11, 2, 1, 2, 3));
    expect(parseSqliteTime('2026-12-02T01:02:03.5Z')).toBe(Date.UTC(2026, 11, 2, 1, 2, 3, 500));
    expect(parseSqliteTime(null)).toBeUndefined();
    expect(parseSqliteTime('yesterday')).toBeUndefined();
    expect(rfc3339Seconds(Date.UTC(2026, 11, 2, 1, 2, 3, 999))).toBe('2026-12-02T01:02:03Z');
  });
});
