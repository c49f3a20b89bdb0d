import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
import { InvalidMetadataError } from '@daprkit/component-sdk';
import type { SASLOptions } from 'kafkajs';

/** What kafkajs needs to reach the brokers: optional TLS options and SASL credentials. */
export interface KafkaAuth {
  authType: 'none' | 'password' | 'mtls' | 'certificate';
  ssl: ConnectionOptions | undefined;
  sasl: SASLOptions | undefined;
}

/** The metadata fields auth is derived from (a slice of the parsed schema). */
export interface AuthMetadata {
  authType?: string | undefined;
  authRequired?: boolean | undefined;
  saslUsername?: string | undefined;
  saslPassword?: string | undefined;
  saslMechanism: string;
  caCert?: string | undefined;
  clientCert?: string | undefined;
  clientKey?: string | undefined;
  disableTls: boolean;
  skipVerify: boolean;
}

const SCRAM = {
  'SHA-256': 'scram-sha-256',
  'SCRAM-SHA-256': 'scram-sha-256',
  'SHA-512': 'scram-sha-512',
  'SCRAM-SHA-512': 'scram-sha-512',
} as const;

/**
 * contrib's rules: `authType` wins; without it the legacy `authRequired` decides (true → password when a
 * SASL password is set, else mtls). TLS is on for every auth type except `none`, unless `disableTls`.
 */
export function resolveAuth(m: AuthMetadata): KafkaAuth {
  const authType = m.authType ?? legacyAuthType(m);
  switch (authType) {
    case 'none':
      return { authType, ssl: undefined, sasl: undefined };
    case 'password': {
      if (m.saslUsername === undefined)
        throw new InvalidMetadataError('saslUsername', "is required for authType 'password'");
      if (m.saslPassword === undefined)
        throw new InvalidMetadataError('saslPassword', "is required for authType 'password'");
      const scram = SCRAM[m.saslMechanism as keyof typeof SCRAM];
      const sasl: SASLOptions =
        scram === undefined
          ? { mechanism: 'plain', username: m.saslUsername, password: m.saslPassword }
          : { mechanism: scram, username: m.saslUsername, password: m.saslPassword };
      return { authType, ssl: tlsOptions(m), sasl };
    }
    case 'mtls': {
      if (m.disableTls) throw new InvalidMetadataError('disableTls', "cannot be true with authType 'mtls'");
      if ((m.clientCert === undefined) !== (m.clientKey === undefined)) {
        throw new InvalidMetadataError(
          m.clientCert === undefined ? 'clientCert' : 'clientKey',
          'clientCert and clientKey go together',
        );
      }
      const ssl = tlsOptions(m) ?? {};
      if (m.clientCert !== undefined && m.clientKey !== undefined) {
        ssl.cert = checkCertificate('clientCert', m.clientCert);
        ssl.key = checkPrivateKey('clientKey', m.clientKey);
      }
      return { authType, ssl, sasl: undefined };
    }
    case 'certificate':
      if (m.caCert === undefined) throw new InvalidMetadataError('caCert', "is required for authType 'certificate'");
      return { authType, ssl: tlsOptions(m), sasl: undefined };
    case 'oidc':
    case 'oidc_private_key_jwt':
    case 'awsiam':
      throw new InvalidMetadataError(
        'authType',
        `'${authType}' is not supported yet (use none, password, mtls or certificate)`,
      );
    default:
      throw new InvalidMetadataError('authType', `unknown auth type '${authType}'`);
  }
}

function legacyAuthType(m: AuthMetadata): string {
  if (m.authRequired === undefined) {
    throw new InvalidMetadataError('authType', 'is required: none, password, mtls or certificate');
  }
  if (!m.authRequired) return 'none';
  return m.saslPassword !== undefined ? 'password' : 'mtls';
}

/** undefined = plain TCP. */
function tlsOptions(m: AuthMetadata): ConnectionOptions | undefined {
  if (m.disableTls) return undefined;
  const ssl: ConnectionOptions = { rejectUnauthorized: !m.skipVerify, minVersion: 'TLSv1.2' };
  if (m.caCert !== undefined) ssl.ca = checkCertificate('caCert', m.caCert);
  return ssl;
}

/** Parses every certificate in the PEM bundle, so a typo fails init instead of the first TLS handshake. */
function checkCertificate(name: string, pem: string): string {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (blocks === null) throw new InvalidMetadataError(name, 'expected a PEM certificate (-----BEGIN CERTIFICATE-----)');
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      throw new InvalidMetadataError(name, 'contains a PEM certificate that cannot be parsed');
    }
  }
  return pem;
}

function checkPrivateKey(name: string, pem: string): string {
  try {
    createPrivateKey(pem);
  } catch {
    // The key is secret: say what is wrong, never what it is.
    throw new InvalidMetadataError(name, 'expected an unencrypted PEM private key');
  }
  return pem;
}
