import { type DaprkitError, InvalidMetadataError, type Logger, UnavailableError } from '@daprkit/component-sdk';
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisConnectionSettings } from './metadata.js';

/** ioredis options for the settings; `connected()` tells the retry strategy whether init is over. */
export function toClientOptions(settings: RedisConnectionSettings, connected: () => boolean): RedisOptions {
  return {
    host: settings.host,
    port: settings.port,
    username: settings.username,
    password: settings.password,
    db: settings.db,
    tls: settings.tls === undefined ? undefined : { servername: settings.host, ...settings.tls },
    lazyConnect: true,
    connectTimeout: settings.dialTimeoutMs,
    commandTimeout: settings.commandTimeoutMs,
    maxRetriesPerRequest: settings.maxRetries,
    // No reconnect loop during init (it must fail fast); afterwards go-redis-style capped exponential backoff.
    retryStrategy: (attempt) =>
      connected() ? Math.min(settings.maxRetryIntervalMs, settings.minRetryIntervalMs * 2 ** (attempt - 1)) : null,
  };
}

/**
 * Connects and PINGs within `dialTimeout`, so init fails inside daprd's init timeout. Failures name the
 * metadata field to fix and never echo secrets. `overrides` adjust the ioredis options of this one
 * connection (e.g. a longer command timeout for blocking reads).
 */
export async function connectRedis(
  settings: RedisConnectionSettings,
  logger: Logger,
  overrides: Partial<RedisOptions> = {},
): Promise<Redis> {
  let connected = false;
  let firstError: Error | undefined;
  const client = new Redis({ ...toClientOptions(settings, () => connected), ...overrides });
  // ioredis reports handshake failures (AUTH, SELECT) only as 'error' events; connect() then just sees a close.
  const captureInitError = (err: Error) => {
    firstError ??= err;
  };
  client.on('error', captureInitError);
  let timer: NodeJS.Timeout | undefined;
  try {
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DialTimeout()), settings.dialTimeoutMs);
    });
    await Promise.race([client.connect().then(() => client.ping()), deadline]);
    if (firstError !== undefined) throw firstError;
  } catch (err) {
    client.disconnect();
    throw describeConnectError(firstError ?? err, settings);
  } finally {
    clearTimeout(timer);
  }
  connected = true;
  client.off('error', captureInitError);
  watchConnection(client, logger);
  return client;
}

class DialTimeout extends Error {}

/** Logs outages once and recoveries, with error codes only: messages can carry addresses from metadata. */
function watchConnection(client: Redis, logger: Logger): void {
  let down = false;
  client.on('error', (err: NodeJS.ErrnoException) => {
    if (down) return;
    down = true;
    logger.warn('redis connection lost; reconnecting', { code: err.code ?? err.name });
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info('redis connection restored');
  });
}

function describeConnectError(err: unknown, settings: RedisConnectionSettings): DaprkitError {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const address = `${settings.host}:${settings.port}`;
  if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(message)) {
    return new InvalidMetadataError(
      'redisPassword',
      'authentication failed: the server rejected redisUsername/redisPassword',
    );
  }
  if (/DB index is out of range/i.test(message)) {
    return new InvalidMetadataError('redisDB', `database ${settings.db} does not exist on the server`);
  }
  if (err instanceof DialTimeout) {
    return new UnavailableError(
      `metadata 'redisHost': cannot connect to ${address} within dialTimeout (${settings.dialTimeoutMs} ms)`,
    );
  }
  if (settings.tls !== undefined && (code?.startsWith('ERR_SSL') || /certificate|SSL|TLS/i.test(message))) {
    return new UnavailableError(`metadata 'enableTLS': TLS handshake with ${address} failed (${code ?? message})`, {
      cause: err,
    });
  }
  return new UnavailableError(`metadata 'redisHost': cannot connect to ${address} (${code ?? message})`, {
    cause: err,
  });
}

/**
 * Server replies that say "try again later" (out of memory, loading a dump, busy script, failover in
 * progress). Everything that is not a server reply at all (connection lost, timeout) is transient too.
 */
const TRANSIENT_REPLY = /^(OOM|LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY)\b/;

/** Whether retrying the same command may succeed. */
export function isTransientRedisError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return err.name !== 'ReplyError' || TRANSIENT_REPLY.test(err.message);
}
