import { field, InvalidMetadataError, type Metadata, parseMetadata } from '@daprkit/component-sdk';

/**
 * Connection metadata every daprkit MQTT component shares, names as contrib's `pubsub.mqtt3` / `bindings.mqtt3`
 * (`url`, and the shared TLS fields `caCert`, `clientCert`, `clientKey`, PEM text).
 */
export const mqttConnectionMetadataSchema = {
  url: field.string({
    required: true,
    secret: true, // may carry a password in its userinfo
    description:
      'Broker address: tcp:// or mqtt:// (plain), ssl://, mqtts://, tcps:// or tls:// (TLS); user and password from the userinfo.',
  }),
  caCert: field.string({ description: 'PEM CA certificate(s) trusted for the broker (TLS).' }),
  clientCert: field.string({ description: 'PEM client certificate for mutual TLS (with clientKey).' }),
  clientKey: field.string({ secret: true, description: 'PEM private key of clientCert.' }),
};

export interface MqttTlsSettings {
  ca?: string;
  cert?: string;
  key?: string;
}

export interface MqttConnectionSettings {
  protocol: 'mqtt' | 'mqtts';
  host: string;
  port: number;
  username?: string;
  password?: string;
  /** Set for the TLS schemes only. */
  tls?: MqttTlsSettings;
  /** TLS fields given with a plain (tcp/mqtt) URL: accepted, as in contrib, but without effect. */
  ignoredTls: string[];
  /** `host:port` with the scheme, never the credentials (for logs and errors). */
  display: string;
}

const PLAIN = new Set(['tcp', 'mqtt']);
const SECURE = new Set(['ssl', 'mqtts', 'tcps', 'tls']);

/** True when the text holds at least one PEM block (contrib's check: `pem.Decode` finds a block). */
export function isPem(text: string): boolean {
  return /-----BEGIN [A-Z0-9 ]+-----\r?\n[\s\S]*?\r?\n?-----END [A-Z0-9 ]+-----/.test(text);
}

/** Parses a broker URL; errors name `url` and never echo it (it may hold a password). */
export function parseMqttUrl(url: string): Omit<MqttConnectionSettings, 'tls' | 'ignoredTls'> & { secure: boolean } {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url.trim());
  if (m === null) throw new InvalidMetadataError('url', 'must start with a scheme such as tcp:// or ssl://');
  const scheme = m[1]!.toLowerCase();
  const secure = SECURE.has(scheme);
  if (!secure && !PLAIN.has(scheme)) {
    throw new InvalidMetadataError('url', `unsupported scheme '${scheme}' (use tcp, mqtt, ssl, mqtts, tcps or tls)`);
  }
  let parsed: URL;
  try {
    parsed = new URL(`mqtt://${url.trim().slice(m[0].length)}`);
  } catch {
    throw new InvalidMetadataError('url', 'is not a valid URL');
  }
  if (parsed.hostname === '') throw new InvalidMetadataError('url', 'has no host');
  const port = parsed.port === '' ? (secure ? 8883 : 1883) : Number(parsed.port);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    protocol: secure ? 'mqtts' : 'mqtt',
    secure,
    host,
    port,
    username: parsed.username === '' ? undefined : decodeURIComponent(parsed.username),
    password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
    display: `${secure ? 'ssl' : 'tcp'}://${parsed.host}`,
  };
}

/** Validates the shared connection metadata. Every error names its field. */
export function parseMqttConnectionMetadata(properties: Metadata): MqttConnectionSettings {
  const m = parseMetadata(properties, mqttConnectionMetadataSchema);
  const { secure, ...address } = parseMqttUrl(m.url);
  for (const name of ['caCert', 'clientCert', 'clientKey'] as const) {
    const value = m[name];
    if (value !== undefined && !isPem(value)) throw new InvalidMetadataError(name, `invalid ${name} (expected PEM)`);
  }
  if ((m.clientCert === undefined) !== (m.clientKey === undefined)) {
    throw new InvalidMetadataError(
      m.clientCert === undefined ? 'clientCert' : 'clientKey',
      'clientCert and clientKey must be given together',
    );
  }
  const given = (['caCert', 'clientCert', 'clientKey'] as const).filter((name) => m[name] !== undefined);
  return {
    ...address,
    // As with contrib's client, the TLS fields only matter for a TLS scheme.
    tls: secure ? { ca: m.caCert, cert: m.clientCert, key: m.clientKey } : undefined,
    ignoredTls: secure ? [] : given,
  };
}
