/**
 * Turns contrib's connection settings (a libpq DSN, URL or key=value form, plus the `host`/`port`/... overrides)
 * into a node-postgres pool config. Everything goes through libpq parameter names first, so both DSN forms and the
 * overrides merge the same way; error and log text only ever shows the redacted target.
 */
import { readFileSync } from 'node:fs';
import { errnoOf, InvalidMetadataError, unusablePathError } from '@daprkit/component-sdk';
import type { PoolConfig } from 'pg';

/** libpq parameters, e.g. `{host, port, dbname, user, password, sslmode}`. */
export type LibpqParams = Record<string, string>;

/** Parses `postgres://user:pw@host:5432/db?sslmode=require` or `host=h user=u password='p w'`. */
export function parseDsn(dsn: string): LibpqParams {
  const text = dsn.trim();
  if (text === '') return {};
  return /^postgres(ql)?:\/\//i.test(text) ? parseUrlDsn(text) : parseKeyValueDsn(text);
}

function parseUrlDsn(text: string): LibpqParams {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // The URL may hold a password: never echo it.
    throw new InvalidMetadataError('connectionString', 'is not a valid postgres:// URL (value hidden)');
  }
  const params: LibpqParams = {};
  const set = (key: string, value: string) => {
    if (value !== '') params[key] = value;
  };
  set('user', decodeURIComponent(url.username));
  set('password', decodeURIComponent(url.password));
  set('host', decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, '$1'));
  set('port', url.port);
  set('dbname', decodeURIComponent(url.pathname.replace(/^\//, '')));
  for (const [key, value] of url.searchParams) set(key, value);
  return params;
}

/** libpq's `key = value` list: values may be single-quoted; backslash escapes the next character. */
function parseKeyValueDsn(text: string): LibpqParams {
  const params: LibpqParams = {};
  const pattern = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|((?:[^\s'\\]|\\.)*))/gy;
  let end = 0;
  // Sticky + global: matches must follow each other, so `end` stops at the first thing that is not a pair.
  for (const match of text.matchAll(pattern)) {
    params[match[1]!] = (match[2] ?? match[3] ?? '').replace(/\\(.)/g, '$1');
    end = match.index + match[0].length;
  }
  if (text.slice(end).trim() !== '') {
    throw new InvalidMetadataError(
      'connectionString',
      'is neither a postgres:// URL nor a libpq key=value list (value hidden)',
    );
  }
  return params;
}

/** `postgres://user:***@host:port/db` for messages; the password never appears. */
export function describeTarget(params: LibpqParams): string {
  const user = params.user ? `${params.user}${params.password ? ':***' : ''}@` : '';
  const host = params.hostaddr ?? params.host ?? 'localhost';
  return `postgres://${user}${host.includes(':') ? `[${host}]` : host}:${params.port ?? '5432'}/${params.dbname ?? ''}`;
}

function readPem(path: string, field: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw unusablePathError(field, 'must name a readable file', `cannot read: ${errnoOf(err)}`);
  }
}

/**
 * libpq `sslmode` → TLS options. node-postgres cannot retry in plain text, so `allow`/`prefer` (libpq's default)
 * mean no TLS; an `sslrootcert` without an explicit mode asks for TLS (`require`, which verifies the chain).
 */
function tlsOptions(params: LibpqParams): PoolConfig['ssl'] {
  const rootCert = params.sslrootcert;
  const mode = params.sslmode ?? (rootCert ? 'require' : 'disable');
  if (mode === 'disable' || mode === 'allow' || mode === 'prefer') return false;
  const skipHostname = { checkServerIdentity: () => undefined };
  const tls = {
    ...(rootCert ? { ca: readPem(rootCert, 'sslRootCert') } : {}),
    ...(params.sslcert ? { cert: readPem(params.sslcert, 'connectionString') } : {}),
    ...(params.sslkey ? { key: readPem(params.sslkey, 'connectionString') } : {}),
  };
  switch (mode) {
    // libpq: with a root certificate, `require` behaves like `verify-ca`.
    case 'require':
      return rootCert ? { ...tls, ...skipHostname } : { ...tls, rejectUnauthorized: false };
    case 'verify-ca':
      if (!rootCert) throw new InvalidMetadataError('sslRootCert', "is required with sslmode 'verify-ca'");
      return { ...tls, ...skipHostname };
    case 'verify-full':
      return tls;
    default:
      throw new InvalidMetadataError('connectionString', `unsupported sslmode '${mode}'`);
  }
}

/** Connection part of the pool config. `hostaddr` (a numeric address) wins over `host` for connecting, as in libpq. */
export function toPoolConfig(params: LibpqParams): PoolConfig {
  const port = params.port === undefined ? undefined : Number(params.port);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    throw new InvalidMetadataError('port', `expected a TCP port, got '${params.port}'`);
  }
  const config: PoolConfig = {
    host: params.hostaddr ?? params.host,
    port,
    database: params.dbname,
    user: params.user,
    password: params.password,
    ssl: tlsOptions(params),
  };
  if (params.application_name) config.application_name = params.application_name;
  if (params.options) config.options = params.options;
  return config;
}
