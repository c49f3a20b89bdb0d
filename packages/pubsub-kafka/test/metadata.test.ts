import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InvalidMetadataError, type Metadata } from '@daprkit/component-sdk';
import { describe, expect, it } from 'vitest';
import { parseKafkaSettings } from '../src/metadata.js';

/** A throwaway self-signed certificate (test material only). */
const certificate = readFileSync(new URL('./fixtures/test-cert.pem', import.meta.url), 'utf8');
const base: Metadata = { brokers: '127.0.0.1:9092', authType: 'none', consumerID: 'app1' };
const settings = (extra: Metadata = {}) => parseKafkaSettings({ ...base, ...extra });

/** The InvalidMetadataError thrown for `properties`, to assert the field it names. */
function metadataError(properties: Metadata): InvalidMetadataError {
  try {
    parseKafkaSettings(properties);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidMetadataError);
    return err as InvalidMetadataError;
  }
  throw new Error('expected an InvalidMetadataError');
}

describe('required fields and enums', () => {
  it('names brokers when they are missing', () => {
    const { brokers: _, ...rest } = base;
    expect(metadataError(rest)).toMatchObject({ field: 'brokers', message: "metadata 'brokers': is required" });
  });

  it('names authType when it is unknown, missing, or not supported yet', () => {
    expect(metadataError({ ...base, authType: 'kerberos' }).field).toBe('authType');
    const { authType: _, ...noAuth } = base;
    expect(metadataError(noAuth).message).toMatch(/metadata 'authType': is required/);
    for (const unsupported of ['oidc', 'oidc_private_key_jwt', 'awsiam']) {
      expect(metadataError({ ...base, authType: unsupported }).message).toMatch(/not supported yet/);
    }
  });

  it('names initialOffset when it is neither newest nor oldest', () => {
    expect(metadataError({ ...base, initialOffset: 'latest' })).toMatchObject({ field: 'initialOffset' });
    expect(settings({ initialOffset: 'OLDEST' }).fromBeginning).toBe(true);
    expect(settings().fromBeginning).toBe(false);
  });

  it('names the other enums and numbers', () => {
    expect(metadataError({ ...base, compression: 'brotli' }).field).toBe('compression');
    expect(metadataError({ ...base, producerRequiredAcks: '2' }).field).toBe('producerRequiredAcks');
    expect(metadataError({ ...base, consumerGroupRebalanceStrategy: 'cooperative' }).field).toBe(
      'consumerGroupRebalanceStrategy',
    );
    expect(metadataError({ ...base, producerRetryMax: '-1' }).field).toBe('producerRetryMax');
    expect(metadataError({ ...base, excludeHeaderMetaRegex: '(' }).field).toBe('excludeHeaderMetaRegex');
    expect(metadataError({ ...base, heartbeatInterval: '10s', sessionTimeout: '10s' }).field).toBe('heartbeatInterval');
    expect(metadataError({ ...base, schemaRegistryURL: 'http://registry' }).field).toBe('schemaRegistryURL');
  });
});

describe('defaults and mapping', () => {
  it('uses contrib defaults', () => {
    const s = settings();
    expect(s).toMatchObject({
      brokers: ['127.0.0.1:9092'],
      clientId: 'daprkit',
      consumerGroup: 'app1',
      producer: { acks: -1, retries: 5, compression: 'none', maxMessageBytes: undefined },
      consumer: {
        heartbeatIntervalMs: 3000,
        sessionTimeoutMs: 10_000,
        rebalanceStrategy: 'range',
        restartDelayMs: 100,
      },
      connectionTimeoutMs: 30_000,
      requestTimeoutMs: 30_000,
      redelivery: { policy: 'constant', durationMs: 5000, maxRetries: -1 },
      headers: { escape: false, exclude: undefined },
      ignored: [],
    });
  });

  it('prefers consumerGroup over consumerID and splits broker lists', () => {
    expect(settings({ consumerGroup: 'orders', brokers: 'a:1, b:2' })).toMatchObject({
      consumerGroup: 'orders',
      brokers: ['a:1', 'b:2'],
    });
  });

  it('maps acks, timeouts, sticky and bare-millisecond consumeRetryInterval', () => {
    const s = settings({
      producerRequiredAcks: 'local',
      readTimeout: '10s',
      writeTimeout: '45s',
      consumerGroupRebalanceStrategy: 'sticky',
      consumeRetryInterval: '250',
      maxMessageBytes: '1Mi',
      version: '2.0.0',
    });
    expect(s.producer.acks).toBe(1);
    expect(s.requestTimeoutMs).toBe(45_000);
    expect(s.consumer.rebalanceStrategy).toBe('roundrobin');
    expect(s.consumer.restartDelayMs).toBe(250);
    expect(s.producer.maxMessageBytes).toBe(1_048_576);
    expect(s.ignored).toEqual(['version']);
    expect(settings({ producerRequiredAcks: 'none' }).producer.acks).toBe(0);
  });

  it('turns consumeRetryEnabled=false into "never redeliver"', () => {
    expect(settings({ consumeRetryEnabled: 'false', backOffMaxRetries: '7' }).redelivery.maxRetries).toBe(0);
    expect(settings({ backOffMaxRetries: '7' }).redelivery.maxRetries).toBe(7);
  });
});

describe('auth', () => {
  it('derives authType from the legacy authRequired like contrib', () => {
    const { authType: _, ...legacy } = base;
    expect(parseKafkaSettings({ ...legacy, authRequired: 'false' }).auth.authType).toBe('none');
    expect(
      parseKafkaSettings({ ...legacy, authRequired: 'true', saslUsername: 'u', saslPassword: 'p' }).auth.authType,
    ).toBe('password');
    expect(parseKafkaSettings({ ...legacy, authRequired: 'true' }).auth.authType).toBe('mtls');
  });

  it('configures SASL with TLS on, unless disableTls', () => {
    const password = { authType: 'password', saslUsername: 'user', saslPassword: 's3cret' };
    expect(settings(password).auth).toMatchObject({
      sasl: { mechanism: 'plain', username: 'user', password: 's3cret' },
      ssl: { rejectUnauthorized: true },
    });
    expect(settings({ ...password, saslMechanism: 'sha-512', disableTls: 'true' }).auth).toMatchObject({
      sasl: { mechanism: 'scram-sha-512' },
      ssl: undefined,
    });
    expect(settings({ ...password, saslMechanism: 'SHA-256', skipVerify: 'true' }).auth).toMatchObject({
      sasl: { mechanism: 'scram-sha-256' },
      ssl: { rejectUnauthorized: false },
    });
    expect(settings().auth).toEqual({ authType: 'none', ssl: undefined, sasl: undefined });
  });

  it('names the missing SASL field without echoing the password', () => {
    expect(metadataError({ ...base, authType: 'password', saslUsername: 'u' }).field).toBe('saslPassword');
    const err = metadataError({ ...base, authType: 'password', saslPassword: 'hunter2' });
    expect(err.field).toBe('saslUsername');
    expect(err.message).not.toContain('hunter2');
    expect(
      metadataError({ ...base, authType: 'password', saslUsername: 'u', saslPassword: 'p', saslMechanism: 'SHA256' })
        .field,
    ).toBe('saslMechanism');
  });

  it('validates PEM material and never echoes a private key', () => {
    expect(metadataError({ ...base, authType: 'certificate' }).field).toBe('caCert');
    expect(metadataError({ ...base, authType: 'certificate', caCert: 'not a pem' }).field).toBe('caCert');
    const garbled = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----';
    expect(metadataError({ ...base, authType: 'certificate', caCert: garbled }).message).toMatch(/cannot be parsed/);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(metadataError({ ...base, authType: 'mtls', clientKey: keyPem }).field).toBe('clientCert');
    const badKey = metadataError({ ...base, authType: 'mtls', clientCert: certificate, clientKey: 'secret-material' });
    expect(badKey.field).toBe('clientKey');
    expect(badKey.message).not.toContain('secret-material');
    expect(
      settings({ authType: 'mtls', clientCert: certificate, clientKey: keyPem, caCert: certificate }).auth.ssl,
    ).toMatchObject({
      cert: certificate,
      key: keyPem,
      ca: certificate,
    });
    expect(metadataError({ ...base, authType: 'mtls', disableTls: 'true' }).field).toBe('disableTls');
  });
});
