/**
 * Go-MySQL DSNs (`[user[:password]@][net[(addr)]]/[dbname][?param=value&...]`), split exactly the way
 * go-sql-driver/mysql does, so a `connectionString` written for contrib's state.mysql means the same here.
 * Errors name the metadata field (`connectionString` for the state store) and never quote any part of the DSN that could hold the password.
 */
import { InvalidMetadataError, parseDuration } from '@daprkit/component-sdk';

export type Address = { net: 'tcp'; host: string; port: number } | { net: 'unix'; socketPath: string };

/** `tls=`: off, system CAs (`true`), no verification (`skip-verify`), or a named config (`custom` + pemPath). */
export type TlsSetting =
  | { mode: 'off' }
  | { mode: 'verify' }
  | { mode: 'skip-verify' }
  | { mode: 'named'; name: string };

export interface GoMySqlDsn {
  user: string;
  password: string;
  address: Address;
  /** The database after `/` (URL path-unescaped), if any. */
  database: string | undefined;
  tls: TlsSetting;
  /** mysql2 takes a charset or a collation name in one option. */
  charset: string | undefined;
  connectTimeoutMs: number | undefined;
  compress: boolean;
  allowCleartextPasswords: boolean;
}

/** Thrown inside the parser; `parseGoMySqlDsn` turns it into an InvalidMetadataError naming the caller's field. */
class DsnError extends Error {}
const fail = (message: string): never => {
  throw new DsnError(message);
};

/** Go's readBool: `1`/`true`/`0`/`false` only. */
function readBool(name: string, value: string): boolean {
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  return fail(`parameter '${name}' must be true or false`);
}

function readDuration(name: string, value: string): number {
  const ms = parseDuration(value);
  return ms !== undefined && ms >= 0 ? ms : fail(`parameter '${name}' must be a duration such as '5s'`);
}

/** Driver options that only change go-sql-driver's own client behaviour; accepted (and type-checked) so DSNs port unchanged. */
const IGNORED_BOOLEANS = new Set([
  'allowAllFiles',
  'allowFallbackToPlaintext',
  'allowNativePasswords',
  'allowOldPasswords',
  'checkConnLiveness',
  'clientFoundRows',
  'columnsWithAlias',
  'interpolateParams',
  'multiStatements',
  'parseTime',
  'rejectReadOnly',
]);
const IGNORED_DURATIONS = new Set(['readTimeout', 'writeTimeout', 'timeTruncate']);
const IGNORED_OTHER = new Set(['loc', 'maxAllowedPacket', 'serverPubKey', 'connectionAttributes']);

/** Go's url.QueryUnescape (`+` is a space) or, for the database, url.PathUnescape. */
function urlUnescape(name: string, value: string, plusIsSpace = true): string {
  try {
    return decodeURIComponent(plusIsSpace ? value.replace(/\+/g, ' ') : value);
  } catch {
    return fail(`'${name}' is not validly URL-escaped`);
  }
}

function applyParams(dsn: GoMySqlDsn, query: string): void {
  let collation: string | undefined;
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue; // Go skips parameters without '='
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (name === 'tls') dsn.tls = readTls(value);
    else if (name === 'charset') dsn.charset = value.split(',')[0] || undefined;
    else if (name === 'collation') collation = value;
    else if (name === 'timeout') dsn.connectTimeoutMs = readDuration(name, value);
    else if (name === 'compress') dsn.compress = readBool(name, value);
    else if (name === 'allowCleartextPasswords') dsn.allowCleartextPasswords = readBool(name, value);
    else if (IGNORED_BOOLEANS.has(name)) readBool(name, value);
    else if (IGNORED_DURATIONS.has(name)) readDuration(name, value);
    else if (!IGNORED_OTHER.has(name)) {
      // go-sql-driver sends unknown parameters as session variables (`SET name=value`); we do not execute raw SQL from config.
      fail(`unsupported parameter '${name}' (session variables in the DSN are not supported)`);
    }
  }
  // The collation pins the connection character set more precisely than `charset`.
  if (collation !== undefined) dsn.charset = collation;
}

function readTls(value: string): TlsSetting {
  if (value === '1' || value === 'true') return { mode: 'verify' };
  if (value === '0' || value === 'false') return { mode: 'off' };
  const lower = value.toLowerCase();
  if (lower === 'skip-verify') return { mode: 'skip-verify' };
  // Opportunistic TLS needs a driver that can fall back to plaintext; mysql2 cannot, and silently downgrading is worse.
  if (lower === 'preferred') return fail('tls=preferred is not supported; use tls=true, tls=skip-verify or tls=false');
  return { mode: 'named', name: urlUnescape('tls', value) };
}

/** Go's ensureHavePort + net.SplitHostPort: `host`, `host:port`, `[v6]`, `[v6]:port`, bare `v6`. */
function parseTcpAddress(addr: string): Address {
  let host = addr;
  let port = '3306';
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(addr);
  if (bracketed) {
    host = bracketed[1]!;
    port = bracketed[2] ?? port;
  } else if (addr.split(':').length === 2) {
    [host, port] = addr.split(':') as [string, string];
  }
  const portNumber = Number(port);
  if (!/^\d+$/.test(port) || portNumber < 1 || portNumber > 65535) fail('the address has an invalid port');
  return { net: 'tcp', host: host || '127.0.0.1', port: portNumber };
}

function parseAddress(net: string, addr: string | undefined): Address {
  if (net === '' || net === 'tcp' || net === 'tcp4' || net === 'tcp6') return parseTcpAddress(addr || '127.0.0.1:3306');
  if (net === 'unix') return { net: 'unix', socketPath: addr || '/tmp/mysql.sock' };
  return fail("unknown network protocol (expected 'tcp(host:port)' or 'unix(/path/to/socket)')");
}

/**
 * Parses a Go-MySQL DSN; throws InvalidMetadataError naming `field` (state.mysql: `connectionString`,
 * bindings.mysql: `url`) when malformed.
 */
export function parseGoMySqlDsn(text: string, field = 'connectionString'): GoMySqlDsn {
  try {
    return parseDsnText(text);
  } catch (err) {
    if (err instanceof DsnError) throw new InvalidMetadataError(field, err.message);
    throw err;
  }
}

function parseDsnText(text: string): GoMySqlDsn {
  // The last '/' separates the database: the password and the address may themselves contain '/'.
  const slash = text.lastIndexOf('/');
  if (slash < 0) fail("must contain '/' (e.g. user:password@tcp(host:3306)/)");
  const head = text.slice(0, slash);
  // The last '@' ends the credentials; the first ':' in them ends the user name.
  const at = head.lastIndexOf('@');
  const credentials = at < 0 ? '' : head.slice(0, at);
  const colon = credentials.indexOf(':');
  const user = colon < 0 ? credentials : credentials.slice(0, colon);
  const password = colon < 0 ? '' : credentials.slice(colon + 1);

  const location = head.slice(at + 1);
  const paren = location.indexOf('(');
  let net = location;
  let addr: string | undefined;
  if (paren >= 0) {
    if (!location.endsWith(')')) fail('the address must be enclosed in parentheses, e.g. tcp(host:3306)');
    net = location.slice(0, paren);
    addr = location.slice(paren + 1, -1);
  }

  const tail = text.slice(slash + 1);
  const question = tail.indexOf('?');
  const rawDatabase = question < 0 ? tail : tail.slice(0, question);
  const dsn: GoMySqlDsn = {
    user,
    password,
    address: parseAddress(net, addr),
    database: rawDatabase === '' ? undefined : urlUnescape('database', rawDatabase, false),
    tls: { mode: 'off' },
    charset: undefined,
    connectTimeoutMs: undefined,
    compress: false,
    allowCleartextPasswords: false,
  };
  if (question >= 0) applyParams(dsn, tail.slice(question + 1));
  return dsn;
}

/** `host:port` or `unix(/path)`, for error messages. */
export function describeAddress(address: Address): string {
  if (address.net === 'unix') return `unix(${address.socketPath})`;
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
