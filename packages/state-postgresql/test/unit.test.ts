/** Everything that needs no server: metadata, DSNs, value encoding, ETags and query translation. */
import { readFileSync } from 'node:fs';
import {
  ErrorCode,
  ETagInvalidError,
  ETagMismatchError,
  InvalidArgumentError,
  InvalidMetadataError,
  isETagError,
  UnavailableError,
} from '@daprkit/component-sdk';
import { describeTarget, parseDsn, toPoolConfig } from '@daprkit/postgresql-common';
import { describe, expect, it } from 'vitest';
import { classify } from '../src/driver-errors.js';
import { definitions, VERSION } from '../src/index.js';
import { readSettings } from '../src/metadata.js';
import { translateQuery } from '../src/query.js';
import { decodeValue, encodeValue, parseETag } from '../src/values.js';

const DSN = 'postgres://daprkit:s3cret-pw@127.0.0.1:5432/daprkit';

function metadataError(properties: Record<string, string>): InvalidMetadataError {
  try {
    readSettings(properties);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidMetadataError);
    return err as InvalidMetadataError;
  }
  throw new Error('expected an InvalidMetadataError');
}

describe('package', () => {
  it('VERSION matches package.json and the definition serves contrib types', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(VERSION).toBe(pkg.version);
    expect(definitions[0]).toMatchObject({
      kind: 'state',
      socketName: 'daprkit-postgresql',
      types: ['state.postgresql', 'state.postgres'],
      packageName: pkg.name,
      version: VERSION,
    });
  });
});

describe('metadata', () => {
  it('requires a connection string unless individual fields are given', () => {
    expect(metadataError({}).field).toBe('connectionString');
    expect(readSettings({ host: 'db', user: 'u' }).pool).toMatchObject({ host: 'db', user: 'u' });
    expect(readSettings({ url: DSN }).pool).toMatchObject({ host: '127.0.0.1', database: 'daprkit' });
  });

  it('names the field in every validation error', () => {
    expect(metadataError({ connectionString: DSN, timeout: '500ms' }).field).toBe('timeout');
    expect(metadataError({ connectionString: DSN, timeoutInSeconds: 'soon' }).field).toBe('timeout');
    expect(metadataError({ connectionString: DSN, tableName: 'state; DROP TABLE x' }).field).toBe('tableName');
    expect(metadataError({ connectionString: DSN, tableName: '1state' }).field).toBe('tableName');
    expect(metadataError({ connectionString: DSN, metadataTableName: 'a.b.c' }).field).toBe('metadataTableName');
    expect(metadataError({ connectionString: DSN, maxConns: '-1' }).field).toBe('maxConns');
    expect(metadataError({ connectionString: DSN, port: '70000' }).field).toBe('port');
    expect(metadataError({ connectionString: DSN, queryExecMode: 'turbo' }).field).toBe('queryExecMode');
    expect(metadataError({ connectionString: DSN, cleanupInterval: 'hourly' }).field).toBe('cleanupInterval');
  });

  it('rejects cloud identity auth as not supported yet, naming the field', () => {
    for (const name of ['useAzureAD', 'useAWSIAM']) {
      const err = metadataError({ connectionString: DSN, [name]: 'true' });
      expect(err.field).toBe(name);
      expect(err.message).toMatch(/not supported yet/);
    }
  });

  it('applies contrib defaults and aliases', () => {
    const defaults = readSettings({ connectionString: DSN });
    expect(defaults).toMatchObject({
      tableName: 'state',
      metadataTableName: 'dapr_metadata',
      cleanupIntervalMs: 3_600_000,
    });
    expect(defaults.pool).toMatchObject({ statement_timeout: 20_000, connectionTimeoutMillis: 5_000 });
    expect(defaults.pool.max).toBeGreaterThanOrEqual(4);
    expect(defaults.namedStatements).toBe(true);

    const tuned = readSettings({
      connectionString: DSN,
      timeoutInSeconds: '2',
      cleanupIntervalInSeconds: '0',
      maxConns: '3',
      connectionMaxIdleTime: '30s',
      tableName: 'app.state_x',
    });
    expect(tuned.pool).toMatchObject({
      statement_timeout: 2_000,
      connectionTimeoutMillis: 2_000,
      max: 3,
      idleTimeoutMillis: 30_000,
    });
    expect(tuned).toMatchObject({ cleanupIntervalMs: 0, tableName: 'app.state_x' });
    expect(readSettings({ connectionString: DSN, cleanupInterval: '-1' }).cleanupIntervalMs).toBeLessThan(0);
  });

  it('maps the PgBouncer exec modes to unnamed statements and no startup statement_timeout', () => {
    for (const mode of ['exec', 'simple_protocol']) {
      const settings = readSettings({ connectionString: DSN, queryExecMode: mode });
      expect(settings.namedStatements).toBe(false);
      expect(settings.pool.statement_timeout).toBeUndefined();
      expect(settings.pool.query_timeout).toBe(20_000);
    }
    expect(readSettings({ connectionString: DSN, queryExecMode: 'cache_statement' }).namedStatements).toBe(true);
  });

  it('never echoes the password of a malformed connection string', () => {
    const err = metadataError({ connectionString: 'postgres://u:s3cret-pw@[broken' });
    expect(err.field).toBe('connectionString');
    expect(err.message).not.toContain('s3cret-pw');
    expect(readSettings({ connectionString: DSN }).target).toBe('postgres://daprkit:***@127.0.0.1:5432/daprkit');
  });
});

describe('connection strings', () => {
  it('parses URLs with escapes and query parameters', () => {
    expect(
      parseDsn('postgresql://us%40er:p%40ss@db.example:6543/my%20db?sslmode=disable&application_name=app'),
    ).toEqual({
      user: 'us@er',
      password: 'p@ss',
      host: 'db.example',
      port: '6543',
      dbname: 'my db',
      sslmode: 'disable',
      application_name: 'app',
    });
    expect(parseDsn('postgres://[::1]:5433/db')).toMatchObject({ host: '::1', port: '5433' });
  });

  it('parses libpq key=value lists with quoting', () => {
    expect(parseDsn(String.raw`host=h port = 1 dbname=d user=u password='p w\'x' sslmode=disable`)).toEqual({
      host: 'h',
      port: '1',
      dbname: 'd',
      user: 'u',
      password: "p w'x",
      sslmode: 'disable',
    });
    expect(() => parseDsn('just some words')).toThrow(InvalidMetadataError);
  });

  it('lets the individual fields override the DSN', () => {
    const settings = readSettings({
      connectionString: 'host=a port=1 dbname=x user=y password=z',
      host: 'b',
      port: '2',
      database: 'db2',
      user: 'u2',
      password: 'p2',
    });
    expect(settings.pool).toMatchObject({ host: 'b', port: 2, database: 'db2', user: 'u2', password: 'p2' });
    expect(describeTarget({ host: 'b', port: '2', dbname: 'db2', user: 'u2', password: 'p2' })).toBe(
      'postgres://u2:***@b:2/db2',
    );
  });

  it('maps sslmode to TLS options', () => {
    expect(toPoolConfig({ host: 'h', sslmode: 'disable' }).ssl).toBe(false);
    expect(toPoolConfig({ host: 'h', sslmode: 'prefer' }).ssl).toBe(false);
    expect(toPoolConfig({ host: 'h', sslmode: 'require' }).ssl).toEqual({ rejectUnauthorized: false });
    expect(toPoolConfig({ host: 'h', sslmode: 'verify-full' }).ssl).toEqual({});
    expect(() => toPoolConfig({ host: 'h', sslmode: 'verify-ca' })).toThrow(/sslRootCert/);
    expect(() => toPoolConfig({ host: 'h', sslmode: 'sometimes' })).toThrow(/sslmode/);
    expect(metadataError({ connectionString: DSN, sslRootCert: '/nonexistent/ca.pem' }).field).toBe('sslRootCert');
  });
});

describe('value encoding', () => {
  const bytes = (...values: number[]) => new Uint8Array(values);
  const utf8 = (s: string) => new TextEncoder().encode(s);

  it('stores JSON text in the jsonb column as is', () => {
    const texts = ['123', 'true', '"hello world"', '""', '{"a":{"b":[1,2]}}', '"\\ud83d\\ude00"', ' null '];
    // Look-alikes of what jsonb rejects: an exponent inside a string, an escaped backslash before u0000.
    texts.push('{"id":"9574ae19484e43e1"}', '"\\\\u0000"', '1e9999');
    for (const value of texts) {
      expect(encodeValue(utf8(value))).toEqual({ json: value, isBinary: false });
    }
  });

  it('stores everything else as base64 and decodes it byte-exact', () => {
    const proto = bytes(0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
    const notJson = [bytes(0x01), proto, utf8('testValue1'), bytes(), utf8('\ufeff{"bom":1}')];
    // Valid JSON that jsonb refuses: \u0000, unpaired surrogates, exponents beyond numeric's range.
    const jsonbRejects = ['"\\u0000"', '{"\\u0000":1}', '"\\ud800"', '["\\udc00"]', '1e99999', '[1E-00016384]'].map(
      utf8,
    );
    for (const value of [...notJson, ...jsonbRejects]) {
      const stored = encodeValue(value);
      expect(stored.isBinary).toBe(true);
      expect(JSON.parse(stored.json)).toBe(Buffer.from(value).toString('base64'));
      expect(decodeValue(stored.json, true)).toEqual(value);
    }
  });
});

describe('etags', () => {
  it('accepts uint32 decimals and rejects anything else as invalid', () => {
    expect(parseETag('0')).toBe('0');
    expect(parseETag('007')).toBe('7');
    expect(parseETag('4294967295')).toBe('4294967295');
    for (const bad of ['4294967296', '-1', '1.5', 'abc', ' 1', 'e9b9e142-74b1-4a2e-8e90-3f4ffeea2e70']) {
      expect(() => parseETag(bad)).toThrow(ETagInvalidError);
      try {
        parseETag(bad);
      } catch (err) {
        expect(isETagError(err, 'invalid')).toBe(true);
      }
    }
  });
});

describe('query translation', () => {
  const base = { sort: [], page: { limit: 0 } };

  it('binds every user value and path instead of splicing it into the SQL', () => {
    const hostile = "x'); DROP TABLE state; --";
    const { text, values } = translateQuery('state', {
      ...base,
      filter: { AND: [{ EQ: { [hostile]: hostile } }, { IN: { 'a.b': [hostile, 1] } }, { GT: { n: 1 } }] },
    });
    expect(text).not.toContain('DROP');
    expect(values).toEqual([
      [hostile],
      JSON.stringify(hostile),
      ['a', 'b'],
      [JSON.stringify(hostile), '1'],
      ['n'],
      '1',
    ]);
  });

  it('rejects string operands for range operators', () => {
    for (const op of ['GT', 'GTE', 'LT', 'LTE']) {
      expect(() => translateQuery('state', { ...base, filter: { [op]: { n: '10' } } })).toThrow(InvalidArgumentError);
    }
  });

  it('rejects malformed filters and page tokens', () => {
    expect(() => translateQuery('state', { ...base, filter: { LIKE: { a: 1 } } })).toThrow(InvalidArgumentError);
    expect(() => translateQuery('state', { ...base, filter: { AND: [{ EQ: { a: 1 } }] } })).toThrow(
      InvalidArgumentError,
    );
    expect(() => translateQuery('state', { ...base, page: { limit: 2, token: 'next' } })).toThrow(InvalidArgumentError);
  });

  it('pages with limit+1 and a decimal offset token', () => {
    const { text, values, offset, limit } = translateQuery('state', { ...base, page: { limit: 2, token: '4' } });
    expect(text).toMatch(/LIMIT \$1 OFFSET \$2$/);
    expect(values).toEqual([3, 4]);
    expect({ offset, limit }).toEqual({ offset: 4, limit: 2 });
  });
});

describe('driver error classification', () => {
  const pgError = (code: string, message = `pg error ${code}`) => Object.assign(new Error(message), { code });

  it('maps timeouts to DeadlineExceeded and transient failures to Unavailable', () => {
    expect(classify(pgError('57014', 'canceling statement due to statement timeout'))).toMatchObject({
      code: ErrorCode.DeadlineExceeded,
      retryable: true,
    });
    for (const code of ['40001', '40P01', '08006', '57P01', 'ECONNRESET']) {
      expect(classify(pgError(code))).toBeInstanceOf(UnavailableError);
    }
  });

  it('passes our own errors and permanent database errors through unchanged', () => {
    const mismatch = new ETagMismatchError();
    expect(classify(mismatch)).toBe(mismatch);
    const undefinedTable = pgError('42P01', 'relation "state" does not exist');
    expect(classify(undefinedTable)).toBe(undefinedTable);
  });
});
