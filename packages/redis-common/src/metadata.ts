import { field, InvalidMetadataError, type Metadata, parseMetadata } from '@daprkit/component-sdk';

/** Redis-family durations: bare integers are milliseconds (contrib's shared Redis settings). */
const ms = 'milliseconds' as const;

/** go-redis's own minimum backoff, which contrib keeps for every Redis component except the state store. */
export const GO_REDIS_MIN_RETRY_INTERVAL_MS = 8;

/**
 * Connection metadata shared by every daprkit Redis component: names, aliases and defaults as contrib's
 * `common/component/redis` settings. Components spread it into their own schema and add their fields.
 */
export const redisConnectionMetadataSchema = {
  redisHost: field.string({ required: true, description: "Redis address as 'host[:port]'." }),
  redisPort: field.int({
    min: 1,
    max: 65535,
    description: 'Port appended to redisHost when it has none (6379 if neither gives one).',
  }),
  redisUsername: field.string({ description: 'ACL user name (Redis 6+).' }),
  redisPassword: field.string({ secret: true, description: 'Password (ACL or requirepass).' }),
  redisDB: field.int({ default: 0, min: 0, description: 'Database index.' }),
  redisType: field.enum({
    values: ['node', 'cluster'],
    default: 'node',
    description: "'node' only; 'cluster' is rejected (not supported yet).",
  }),
  failover: field.bool({ default: false, description: 'Sentinel mode; true is rejected (not supported yet).' }),
  enableTLS: field.bool({ default: false, description: 'Connect over TLS.' }),
  insecureSkipTLSVerify: field.bool({
    default: false,
    description: 'Skip server certificate verification (TLS only).',
  }),
  clientCert: field.string({ description: 'PEM client certificate for mutual TLS (needs clientKey).' }),
  clientKey: field.string({ secret: true, description: 'PEM private key for mutual TLS (needs clientCert).' }),
  redisMaxRetries: field.int({
    default: 3,
    min: -1,
    aliases: ['maxRetries'],
    description: 'Reconnect attempts a pending command waits for before failing; -1 disables retries.',
  }),
  redisMinRetryInterval: field.duration({
    bareUnit: ms,
    description: 'Minimum reconnect backoff (default 2s for the state store, 8ms otherwise, as in contrib).',
  }),
  redisMaxRetryInterval: field.duration({
    default: 512,
    bareUnit: ms,
    description: 'Maximum reconnect backoff (caps the exponential backoff, as in go-redis).',
  }),
  maxRetryBackoff: field.int({
    min: 0,
    description: 'Legacy: redisMinRetryInterval in integer nanoseconds (redisMinRetryInterval wins).',
  }),
  dialTimeout: field.duration({
    default: 5000,
    bareUnit: ms,
    min: 1,
    description: 'Connect timeout; also bounds init (connect + PING).',
  }),
  readTimeout: field.duration({ default: 3000, bareUnit: ms, description: 'Reply timeout; -1 disables.' }),
  writeTimeout: field.duration({
    bareUnit: ms,
    description:
      'Request timeout; defaults to readTimeout. ioredis has one per-command timeout = readTimeout + writeTimeout.',
  }),
  poolSize: field.int({
    min: 1,
    description: 'Accepted for compatibility; ioredis multiplexes one pipelined connection, so it has no effect.',
  }),
};

export interface RedisConnectionSettings {
  host: string;
  port: number;
  username: string | undefined;
  password: string | undefined;
  db: number;
  tls: { rejectUnauthorized: boolean; cert?: string; key?: string } | undefined;
  /** ioredis `maxRetriesPerRequest`. */
  maxRetries: number;
  minRetryIntervalMs: number;
  maxRetryIntervalMs: number;
  dialTimeoutMs: number;
  /** readTimeout, or undefined when disabled (-1). */
  readTimeoutMs: number | undefined;
  /** Whole-command timeout, or undefined for none. */
  commandTimeoutMs: number | undefined;
  /** Given but ignored settings, reported once at init. */
  ignored: string[];
}

export interface ParseConnectionOptions {
  /** Default of redisMinRetryInterval; contrib's state store uses 2 s, everything else go-redis's 8 ms. */
  defaultMinRetryIntervalMs?: number;
}

/** Validates the connection part of component metadata. Every error names the offending field. */
export function parseRedisConnectionMetadata(
  properties: Metadata,
  options: ParseConnectionOptions = {},
): RedisConnectionSettings {
  const m = parseMetadata(properties, redisConnectionMetadataSchema);
  if (m.redisType === 'cluster') {
    throw new InvalidMetadataError('redisType', "'cluster' is not supported yet; only 'node' (a single Redis server)");
  }
  if (m.failover)
    throw new InvalidMetadataError(
      'failover',
      'Sentinel failover is not supported yet; connect to the master directly',
    );
  if ((m.clientCert === undefined) !== (m.clientKey === undefined)) {
    throw new InvalidMetadataError(
      m.clientCert === undefined ? 'clientCert' : 'clientKey',
      'clientCert and clientKey must be given together',
    );
  }
  if (m.clientCert !== undefined && !m.enableTLS)
    throw new InvalidMetadataError('clientCert', 'requires enableTLS: true');

  // Required and defaulted fields are always set; parseMetadata's type does not carry defaults through yet.
  const { host, port } = parseHost(m.redisHost!, m.redisPort);
  const readTimeoutMs = m.readTimeout! > 0 ? m.readTimeout! : undefined;
  const writeTimeoutMs = m.writeTimeout ?? m.readTimeout!;
  const legacyMinRetryIntervalMs = m.maxRetryBackoff === undefined ? undefined : m.maxRetryBackoff / 1e6;
  return {
    host,
    port,
    username: m.redisUsername,
    password: m.redisPassword,
    db: m.redisDB!,
    tls: m.enableTLS
      ? { rejectUnauthorized: !m.insecureSkipTLSVerify, cert: m.clientCert, key: m.clientKey }
      : undefined,
    maxRetries: Math.max(0, m.redisMaxRetries!),
    minRetryIntervalMs:
      m.redisMinRetryInterval ??
      legacyMinRetryIntervalMs ??
      options.defaultMinRetryIntervalMs ??
      GO_REDIS_MIN_RETRY_INTERVAL_MS,
    maxRetryIntervalMs: m.redisMaxRetryInterval!,
    dialTimeoutMs: m.dialTimeout!,
    readTimeoutMs,
    commandTimeoutMs: readTimeoutMs === undefined ? undefined : readTimeoutMs + Math.max(0, writeTimeoutMs),
    ignored: m.poolSize === undefined ? [] : ['poolSize'],
  };
}

/** `host`, `host:port`, `[v6]:port`; `redisPort` fills a missing port and must not contradict a given one. */
function parseHost(text: string, redisPort: number | undefined): { host: string; port: number } {
  const value = text.trim();
  if (value.includes(',')) {
    throw new InvalidMetadataError(
      'redisHost',
      "several hosts need redisType 'cluster' or failover, which are not supported yet",
    );
  }
  const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(value);
  if (match === null) throw new InvalidMetadataError('redisHost', "expected 'host' or 'host:port'");
  const host = (match[1] ?? match[2])!;
  const givenPort = match[3] === undefined ? undefined : Number(match[3]);
  if (givenPort !== undefined && (givenPort < 1 || givenPort > 65535))
    throw new InvalidMetadataError('redisHost', 'port must be 1-65535');
  if (givenPort !== undefined && redisPort !== undefined && givenPort !== redisPort) {
    throw new InvalidMetadataError('redisPort', 'conflicts with the port already given in redisHost');
  }
  return { host, port: givenPort ?? redisPort ?? 6379 };
}
