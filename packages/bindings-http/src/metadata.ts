import { readFileSync } from 'node:fs';
import { field, InvalidMetadataError, type Metadata, parseByteSize, parseMetadata } from '@daprkit/component-sdk';

export const RENEGOTIATION = ['RenegotiateNever', 'RenegotiateOnceAsClient', 'RenegotiateFreelyAsClient'] as const;

/** Component metadata (YAML `spec.metadata`), names and defaults as contrib's `bindings.http`. */
export const httpBindingMetadataSchema = {
  url: field.string({
    required: true,
    description: 'Base URL every request goes to; request metadata `path` is appended.',
  }),
  responseTimeout: field.duration({
    description: 'Whole-request timeout (connect, headers and body), e.g. `10s`. None by default.',
  }),
  maxResponseBodySize: field.string({
    default: '100Mi',
    description:
      'Most bytes of a response body read (`100Mi`, `1k`, `512`); longer bodies are truncated. <= 0: no limit.',
  }),
  MTLSRootCA: field.string({ description: 'CA certificate(s) to trust (PEM text, or a path to a PEM file).' }),
  MTLSClientCert: field.string({
    description: 'Client certificate for mutual TLS (PEM text or file); needs MTLSClientKey.',
  }),
  MTLSClientKey: field.string({
    secret: true,
    description: 'Client private key for mutual TLS (PEM text or file); needs MTLSClientCert.',
  }),
  MTLSRenegotiation: field.enum({
    values: RENEGOTIATION,
    caseSensitive: true,
    description: 'TLS renegotiation support: RenegotiateNever, RenegotiateOnceAsClient, RenegotiateFreelyAsClient.',
  }),
  securityToken: field.string({
    secret: true,
    description: 'Value of the securityTokenHeader header on every request.',
  }),
  securityTokenHeader: field.string({ description: 'Header name that carries securityToken (both must be set).' }),
  errorIfNot2XX: field.bool({
    default: true,
    description: 'Fail the invocation on a non-2xx status (per-request override: metadata errorIfNot2XX).',
  }),
};

export interface HttpBindingSettings {
  url: URL;
  /** The url text as configured, for path joining. */
  baseUrl: string;
  responseTimeoutMs: number | undefined;
  /** undefined = unlimited. */
  maxResponseBodyBytes: number | undefined;
  ca: string | undefined;
  cert: string | undefined;
  key: string | undefined;
  renegotiation: (typeof RENEGOTIATION)[number] | undefined;
  securityToken: { header: string; value: string } | undefined;
  errorIfNot2XX: boolean;
}

/** PEM text is used as is; anything else is a file path to read (as contrib does). */
function pemOrFile(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.includes('-----BEGIN')) return value;
  try {
    const text = readFileSync(value, 'utf8');
    if (!text.includes('-----BEGIN')) throw new Error('not PEM');
    return text;
  } catch {
    throw new InvalidMetadataError(name, 'is neither PEM text nor a readable PEM file');
  }
}

function parseBodySize(raw: string): number | undefined {
  const text = raw.trim();
  if (/^-\d+$/.test(text) || text === '0') return undefined;
  const n = parseByteSize(text);
  if (n === undefined)
    throw new InvalidMetadataError('maxResponseBodySize', `expected a size like '100Mi' or '1k', got '${raw}'`);
  return n <= 0 ? undefined : n;
}

export function parseHttpBindingSettings(properties: Metadata): HttpBindingSettings {
  const m = parseMetadata(properties, httpBindingMetadataSchema);
  let url: URL;
  try {
    url = new URL(m.url);
  } catch {
    throw new InvalidMetadataError('url', `'${m.url}' is not an absolute URL (http://host[:port]/path)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidMetadataError('url', `scheme '${url.protocol.replace(':', '')}' is not http or https`);
  }
  if ((m.MTLSClientCert === undefined) !== (m.MTLSClientKey === undefined)) {
    // contrib silently ignores a lone half; a clear error is kinder than a surprising plain-TLS connection.
    throw new InvalidMetadataError(
      m.MTLSClientCert === undefined ? 'MTLSClientCert' : 'MTLSClientKey',
      'MTLSClientCert and MTLSClientKey must be given together',
    );
  }
  const token =
    m.securityToken !== undefined && m.securityTokenHeader !== undefined
      ? { header: m.securityTokenHeader, value: m.securityToken }
      : undefined;
  return {
    url,
    baseUrl: m.url,
    responseTimeoutMs: m.responseTimeout !== undefined && m.responseTimeout > 0 ? m.responseTimeout : undefined,
    maxResponseBodyBytes: parseBodySize(m.maxResponseBodySize),
    ca: pemOrFile('MTLSRootCA', m.MTLSRootCA),
    cert: pemOrFile('MTLSClientCert', m.MTLSClientCert),
    key: pemOrFile('MTLSClientKey', m.MTLSClientKey),
    renegotiation: m.MTLSRenegotiation as HttpBindingSettings['renegotiation'],
    securityToken: token,
    errorIfNot2XX: m.errorIfNot2XX,
  };
}
