import {
  type DaprkitError,
  FailedPreconditionError,
  InvalidMetadataError,
  UnavailableError,
} from '@daprkit/component-sdk';
import amqp, { type ChannelModel, type Options } from 'amqplib';

/** Where and how to connect: what both RabbitMQ components resolve their metadata to. */
export interface AmqpEndpoint {
  /** `amqp://` or `amqps://` URI (may carry user, password, vhost). */
  url: string;
  /** TLS material (PEM), used for `amqps://` only. */
  tls?: { ca?: string; cert?: string; key?: string };
  /** SASL EXTERNAL (the client certificate authenticates) instead of PLAIN with the URI's user/password. */
  saslExternal?: boolean;
  /** Connection property `connection_name` (shown by the management UI). */
  clientName?: string;
  /** Heartbeat in seconds (0 = off); unset = the broker's suggestion. */
  heartbeatSeconds?: number;
  /** TCP connect + AMQP handshake budget. */
  connectTimeoutMs?: number;
}

/** The URI without its password, for logs and error texts. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URI)';
  }
}

/**
 * Parses an AMQP URI the way the Go client (amqp091-go) does: scheme amqp/amqps, default ports 5672/5671, user
 * and password percent-decoded (guest/guest when absent), vhost = the path without its first `/` (`/` when there is
 * no path). `field` names the metadata field in errors.
 */
export function parseAmqpUri(url: string, field: string): Options.Connect & { protocol: 'amqp' | 'amqps' } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidMetadataError(field, `is not a valid AMQP URI (${redactUrl(url)})`);
  }
  const protocol = parsed.protocol.replace(/:$/, '');
  if (protocol !== 'amqp' && protocol !== 'amqps') {
    throw new InvalidMetadataError(field, `must use the amqp:// or amqps:// scheme, got '${protocol}://'`);
  }
  const hostname = parsed.hostname.replace(/^\[|\]$/g, '') || 'localhost';
  const port = parsed.port === '' ? (protocol === 'amqps' ? 5671 : 5672) : Number(parsed.port);
  const hasUser = parsed.username !== '' || parsed.password !== '';
  const vhost = parsed.pathname === '' ? '/' : decodeURIComponent(parsed.pathname.slice(1));
  const heartbeat = parsed.searchParams.get('heartbeat');
  return {
    protocol,
    hostname,
    port,
    username: hasUser ? decodeURIComponent(parsed.username) : 'guest',
    password: hasUser ? decodeURIComponent(parsed.password) : 'guest',
    vhost,
    ...(heartbeat !== null && /^\d+$/.test(heartbeat) ? { heartbeat: Number(heartbeat) } : {}),
  };
}

/**
 * Opens one AMQP connection. Errors are Unavailable (broker unreachable, handshake timeout) or FailedPrecondition
 * (refused credentials, unknown vhost), and never contain the password.
 */
export async function connectAmqp(endpoint: AmqpEndpoint, field = 'connectionString'): Promise<ChannelModel> {
  const options = parseAmqpUri(endpoint.url, field);
  if (endpoint.heartbeatSeconds !== undefined) options.heartbeat = endpoint.heartbeatSeconds;
  const secure = options.protocol === 'amqps';
  const socketOptions: Record<string, unknown> = {
    timeout: endpoint.connectTimeoutMs ?? 10_000,
    noDelay: true,
    clientProperties: endpoint.clientName ? { connection_name: endpoint.clientName } : {},
  };
  if (secure && endpoint.tls !== undefined) {
    if (endpoint.tls.ca) socketOptions.ca = [endpoint.tls.ca];
    if (endpoint.tls.cert) socketOptions.cert = endpoint.tls.cert;
    if (endpoint.tls.key) socketOptions.key = endpoint.tls.key;
  }
  if (secure && endpoint.saslExternal) socketOptions.credentials = amqp.credentials.external();
  try {
    const model = await amqp.connect(options, socketOptions);
    return model;
  } catch (err) {
    throw toConnectError(err, endpoint.url);
  }
}

function toConnectError(err: unknown, url: string): DaprkitError {
  const text = err instanceof Error ? err.message : String(err);
  const where = redactUrl(url);
  if (/ACCESS_REFUSED|NOT_ALLOWED|vhost|authenticat|PLAIN|EXTERNAL/i.test(text)) {
    return new FailedPreconditionError(`rabbitmq: connecting to ${where} was refused: ${scrub(text, url)}`, {
      cause: err,
    });
  }
  return new UnavailableError(`rabbitmq: cannot connect to ${where}: ${scrub(text, url)}`, { cause: err });
}

/** Removes the URI's password from a text, should a driver message ever echo it. */
function scrub(text: string, url: string): string {
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password === '' ? text : text.split(password).join('***');
  } catch {
    return text;
  }
}

/** A channel- or connection-closed error (the channel is gone; the caller must reopen it). */
export function isClosedError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (
    err.name === 'IllegalOperationError' ||
    /Channel closed|Connection closed|channel is closed|ended/i.test(err.message)
  );
}
