import { readFileSync } from 'node:fs';
import { silentLogger } from '@daprkit/component-sdk';
import { describe, expect, it } from 'vitest';
import {
  hasWildcards,
  parseMqttConnectionMetadata,
  parseMqttUrl,
  toClientOptions,
  topicMatches,
} from '../src/index.js';

const PEM = readFileSync(new URL('./fixtures/test-cert.pem', import.meta.url), 'utf8');
const KEY =
  '-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEAs=\n-----END PRIVATE KEY-----\n';

describe('url', () => {
  it.each([
    ['tcp://broker:1884', 'mqtt', 'broker', 1884],
    ['mqtt://broker', 'mqtt', 'broker', 1883],
    ['ssl://broker', 'mqtts', 'broker', 8883],
    ['mqtts://broker:9000', 'mqtts', 'broker', 9000],
    ['tcps://broker', 'mqtts', 'broker', 8883],
    ['tls://[::1]:8884', 'mqtts', '::1', 8884],
  ])('%s → %s %s:%d', (url, protocol, host, port) => {
    expect(parseMqttUrl(url)).toMatchObject({ protocol, host, port });
  });

  it('takes user and password from the userinfo, and never shows them', () => {
    const parsed = parseMqttUrl('tcp://alice:s%40cret@broker:1883');
    expect(parsed).toMatchObject({ username: 'alice', password: 's@cret', display: 'tcp://broker:1883' });
  });

  it('rejects unknown schemes and missing urls, naming the field but not the value', () => {
    expect(() => parseMqttUrl('ws://u:topsecret@broker')).toThrow(/url.*unsupported scheme 'ws'/);
    expect(() => parseMqttUrl('ws://u:topsecret@broker')).not.toThrow(/topsecret/);
    expect(() => parseMqttUrl('broker:1883')).toThrow(/url/);
    expect(() => parseMqttConnectionMetadata({})).toThrow(/url.*required/);
  });
});

describe('TLS metadata', () => {
  it('validates PEM fields by name', () => {
    expect(() => parseMqttConnectionMetadata({ url: 'ssl://b', caCert: 'nope' })).toThrow(/caCert.*invalid caCert/);
    expect(() => parseMqttConnectionMetadata({ url: 'ssl://b', clientCert: PEM, clientKey: 'x' })).toThrow(/clientKey/);
    expect(() => parseMqttConnectionMetadata({ url: 'ssl://b', clientCert: PEM })).toThrow(/together/);
  });

  it('hands CA, certificate and key to MQTT.js for a TLS scheme, with verification on', () => {
    const settings = parseMqttConnectionMetadata({ url: 'ssl://b', caCert: PEM, clientCert: PEM, clientKey: KEY });
    const options = toClientOptions(settings, { clientId: 'c', clean: false, logger: silentLogger });
    expect(options).toMatchObject({ protocol: 'mqtts', ca: PEM, cert: PEM, key: KEY, rejectUnauthorized: true });
    expect(options).toMatchObject({ clientId: 'c', clean: false, protocolVersion: 4, resubscribe: false });
  });

  it('accepts but ignores TLS fields with a plain url (as contrib)', () => {
    const settings = parseMqttConnectionMetadata({ url: 'tcp://b', caCert: PEM });
    expect(settings.tls).toBeUndefined();
    expect(settings.ignoredTls).toEqual(['caCert']);
  });
});

describe('topic filters', () => {
  it.each([
    ['a/b', 'a/b', true],
    ['a/b', 'a/c', false],
    ['a/+', 'a/b', true],
    ['a/+', 'a/b/c', false],
    ['a/+/c', 'a/x/c', true],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['#', 'x/y', true],
    ['#', '$SYS/x', false],
    ['$share/g/a/+', 'a/b', true],
    ['$share/g/a/+', 'b/b', false],
  ])('%s vs %s → %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });

  it('knows wildcard filters', () => {
    expect(hasWildcards('a/+/b')).toBe(true);
    expect(hasWildcards('$share/g/a')).toBe(false);
    expect(hasWildcards('a+b')).toBe(false);
  });
});
