import { InvalidMetadataError } from '@daprkit/component-sdk';
import { describe, expect, it } from 'vitest';
import { describeAddress, parseGoMySqlDsn } from '../src/dsn.js';

function parseError(dsn: string): InvalidMetadataError {
  try {
    parseGoMySqlDsn(dsn);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidMetadataError);
    return err as InvalidMetadataError;
  }
  throw new Error(`'${dsn}' parsed without error`);
}

describe('Go-MySQL DSN parser', () => {
  it('reads user, password, tcp address and no database', () => {
    const dsn = parseGoMySqlDsn('dapr:secret@tcp(db.example:3307)/');
    expect(dsn).toMatchObject({
      user: 'dapr',
      password: 'secret',
      address: { net: 'tcp', host: 'db.example', port: 3307 },
      database: undefined,
    });
    expect(dsn.tls).toEqual({ mode: 'off' });
  });

  it("defaults like go-sql-driver: port 3306, address 127.0.0.1:3306, unix '/tmp/mysql.sock'", () => {
    expect(parseGoMySqlDsn('u:p@tcp(db)/').address).toEqual({ net: 'tcp', host: 'db', port: 3306 });
    expect(parseGoMySqlDsn('u:p@/').address).toEqual({ net: 'tcp', host: '127.0.0.1', port: 3306 });
    expect(parseGoMySqlDsn('u@unix/').address).toEqual({ net: 'unix', socketPath: '/tmp/mysql.sock' });
    expect(parseGoMySqlDsn('/').user).toBe('');
  });

  it('reads IPv6 addresses with and without a port', () => {
    expect(parseGoMySqlDsn('u:p@tcp([::1]:3310)/').address).toEqual({ net: 'tcp', host: '::1', port: 3310 });
    expect(parseGoMySqlDsn('u:p@tcp([fe80::1])/').address).toEqual({ net: 'tcp', host: 'fe80::1', port: 3306 });
    expect(parseGoMySqlDsn('u:p@tcp(::1)/').address).toEqual({ net: 'tcp', host: '::1', port: 3306 });
    expect(describeAddress({ net: 'tcp', host: '::1', port: 3306 })).toBe('[::1]:3306');
  });

  it('reads unix sockets', () => {
    const dsn = parseGoMySqlDsn('root:pw@unix(/var/run/mysqld/mysqld.sock)/state?charset=utf8mb4');
    expect(dsn.address).toEqual({ net: 'unix', socketPath: '/var/run/mysqld/mysqld.sock' });
    expect(describeAddress(dsn.address)).toBe('unix(/var/run/mysqld/mysqld.sock)');
    expect(dsn.database).toBe('state');
  });

  it('path-unescapes the database name', () => {
    expect(parseGoMySqlDsn('u:p@tcp(h)/my%2Ddb?parseTime=true').database).toBe('my-db');
    expect(parseGoMySqlDsn('u:p@tcp(h)/a+b').database).toBe('a+b');
  });

  it('keeps passwords with @ : / ? ( ) & = verbatim (the last @ and the last / delimit, as in Go)', () => {
    const password = 'p@ss:w/rd?(x)&y=z';
    const dsn = parseGoMySqlDsn(`dapr:${password}@tcp(127.0.0.1:3306)/?tls=false&timeout=3s`);
    expect(dsn).toMatchObject({
      user: 'dapr',
      password,
      address: { host: '127.0.0.1', port: 3306 },
      connectTimeoutMs: 3000,
    });
    expect(parseGoMySqlDsn('dapr:@tcp(h)/').password).toBe('');
    expect(parseGoMySqlDsn('dapr@tcp(h)/').password).toBe('');
  });

  it('maps tls, charset, collation, timeout, compress and cleartext passwords', () => {
    expect(parseGoMySqlDsn('u:p@tcp(h)/?tls=true').tls).toEqual({ mode: 'verify' });
    expect(parseGoMySqlDsn('u:p@tcp(h)/?tls=1').tls).toEqual({ mode: 'verify' });
    expect(parseGoMySqlDsn('u:p@tcp(h)/?tls=skip-verify').tls).toEqual({ mode: 'skip-verify' });
    expect(parseGoMySqlDsn('u:p@tcp(h)/?tls=custom').tls).toEqual({ mode: 'named', name: 'custom' });
    expect(parseGoMySqlDsn('u:p@tcp(h)/?tls=0').tls).toEqual({ mode: 'off' });
    expect(parseGoMySqlDsn('u:p@tcp(h)/?charset=utf8mb4,utf8').charset).toBe('utf8mb4');
    expect(parseGoMySqlDsn('u:p@tcp(h)/?charset=utf8&collation=utf8mb4_unicode_ci').charset).toBe('utf8mb4_unicode_ci');
    expect(parseGoMySqlDsn('u:p@tcp(h)/?timeout=1m30s').connectTimeoutMs).toBe(90_000);
    const dsn = parseGoMySqlDsn('u:p@tcp(h)/?compress=true&allowCleartextPasswords=1');
    expect(dsn).toMatchObject({ compress: true, allowCleartextPasswords: true });
  });

  it('accepts the Go-only client options contrib users put in DSNs', () => {
    const dsn = parseGoMySqlDsn(
      'u:p@tcp(h:3306)/?allowNativePasswords=true&parseTime=true&readTimeout=10s&writeTimeout=10s&loc=Local&interpolateParams=false&flag',
    );
    expect(dsn.address).toEqual({ net: 'tcp', host: 'h', port: 3306 });
  });

  it("rejects a DSN without '/', naming connectionString", () => {
    const err = parseError('dapr:secret@tcp(127.0.0.1:3306)');
    expect(err.message).toMatch(/^metadata 'connectionString': must contain '\/'/);
    expect(err.field).toBe('connectionString');
  });

  it('rejects malformed pieces without ever showing the password', () => {
    const password = 'Sup3r-S3cret';
    const cases = [
      `dapr:${password}@tcp(127.0.0.1:3306/`, // unclosed address
      `dapr:${password}@tcp(127.0.0.1:99999)/`, // bad port
      `dapr:${password}@pipe(x)/`, // unknown network
      `dapr:${password}/`, // no '@': the credentials become the "network"
      `dapr:${password}@tcp(h)/?tls=preferred`,
      `dapr:${password}@tcp(h)/?parseTime=yes`,
      `dapr:${password}@tcp(h)/?timeout=soon`,
      `dapr:${password}@tcp(h)/?sql_mode=ANSI`,
      `dapr:${password}@tcp(h)/%zz`,
    ];
    for (const dsn of cases) {
      const err = parseError(dsn);
      expect(err.message).toMatch(/^metadata 'connectionString': /);
      expect(err.message).not.toContain(password);
    }
    expect(parseError('u:p@tcp(h)/?sql_mode=ANSI').message).toContain("unsupported parameter 'sql_mode'");
    expect(parseError('u:p@tcp(h)/?tls=preferred').message).toContain('tls=preferred is not supported');
  });
});

describe('field name', () => {
  it('names the caller’s field in errors', () => {
    expect(() => parseGoMySqlDsn('no-slash', 'url')).toThrow(/^metadata 'url': /);
    expect(parseError('no-slash').field).toBe('connectionString');
  });
});
