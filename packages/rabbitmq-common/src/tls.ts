import { createPrivateKey, X509Certificate } from 'node:crypto';
import { field, InvalidMetadataError, type Metadata, parseMetadata } from '@daprkit/component-sdk';

/** Contrib's shared TLS fields (`caCert`, `clientCert`, `clientKey`, PEM text). */
export const tlsMetadataSchema = {
  caCert: field.string({ description: 'PEM CA certificate the broker certificate must chain to (amqps only).' }),
  clientCert: field.string({ description: 'PEM client certificate for mutual TLS (needs clientKey).' }),
  clientKey: field.string({ secret: true, description: 'PEM private key of clientCert.' }),
};

export interface TlsMaterial {
  ca?: string;
  cert?: string;
  key?: string;
}

/** Reads and checks the PEM fields (each must parse; cert and key together). Undefined when none is set. */
export function parseTlsMetadata(properties: Metadata): TlsMaterial | undefined {
  const m = parseMetadata(properties, tlsMetadataSchema);
  if (m.caCert === undefined && m.clientCert === undefined && m.clientKey === undefined) return undefined;
  if ((m.clientCert === undefined) !== (m.clientKey === undefined)) {
    throw new InvalidMetadataError(
      m.clientCert === undefined ? 'clientCert' : 'clientKey',
      'clientCert and clientKey must be given together',
    );
  }
  for (const [name, pem] of [
    ['caCert', m.caCert],
    ['clientCert', m.clientCert],
  ] as const) {
    if (pem === undefined) continue;
    try {
      new X509Certificate(pem);
    } catch {
      throw new InvalidMetadataError(name, 'is not a valid PEM certificate');
    }
  }
  if (m.clientKey !== undefined) {
    try {
      createPrivateKey(m.clientKey);
    } catch {
      throw new InvalidMetadataError('clientKey', 'is not a valid PEM private key');
    }
  }
  return { ca: m.caCert, cert: m.clientCert, key: m.clientKey };
}
