import { describe, expect, it } from 'vitest';
import { headerText, parseAmqpUri, parsePriority, parseTtlMs, publishPropertiesOf, redactUrl } from '../src/index.js';

describe('Dapr request-metadata helpers', () => {
  it('ttl: `ttl` first, then `ttlInSeconds`, any casing; durations or positive integer seconds', () => {
    expect(parseTtlMs({})).toBeUndefined();
    expect(parseTtlMs({ ttlInSeconds: '10' })).toBe(10_000);
    expect(parseTtlMs({ TTLINSECONDS: '2' })).toBe(2000);
    expect(parseTtlMs({ ttl: '500ms', ttlInSeconds: '10' })).toBe(500);
    expect(parseTtlMs({ ttl: '-5s' })).toBe(0);
    expect(parseTtlMs({ ttl: '0' })).toBe(0); // Go's ParseDuration accepts a bare 0
    expect(() => parseTtlMs({ ttlInSeconds: '-3' })).toThrow('ttl value must be higher than zero');
    expect(() => parseTtlMs({ ttl: 'soon' })).toThrow(/ttl/);
  });

  it('priority: an integer clamped to 0–255', () => {
    expect(parsePriority({})).toBeUndefined();
    expect(parsePriority({ priority: '7' })).toBe(7);
    expect(parsePriority({ Priority: '300' })).toBe(255);
    expect(parsePriority({ priority: '-3' })).toBe(0);
    expect(() => parsePriority({ priority: 'high' })).toThrow(/priority/);
  });

  it('message properties: exact-case key first, then any casing', () => {
    expect(
      publishPropertiesOf({ messageid: 'low', messageID: 'exact', CorrelationID: 'c', type: 't', contenttype: 'x/y' }),
    ).toEqual({ messageId: 'exact', correlationId: 'c', type: 't', contentType: 'x/y' });
  });

  it('header values as text', () => {
    expect(headerText('s')).toBe('s');
    expect(headerText(Buffer.from('b'))).toBe('b');
    expect(headerText(5)).toBe('5');
    expect(headerText(null)).toBeUndefined();
  });
});

describe('AMQP URIs', () => {
  it('parses as the Go client: default port, guest/guest, vhost from the path, percent-decoding', () => {
    expect(parseAmqpUri('amqp://h', 'f')).toMatchObject({
      protocol: 'amqp',
      hostname: 'h',
      port: 5672,
      username: 'guest',
      password: 'guest',
      vhost: '/',
    });
    expect(parseAmqpUri('amqps://u%40x:p%2Fw@h:1234/my%2Fvhost?heartbeat=5', 'f')).toMatchObject({
      protocol: 'amqps',
      port: 1234,
      username: 'u@x',
      password: 'p/w',
      vhost: 'my/vhost',
      heartbeat: 5,
    });
    expect(parseAmqpUri('amqps://h', 'f').port).toBe(5671);
    expect(() => parseAmqpUri('redis://h', 'host')).toThrow(/host.*amqp/);
  });

  it('redacts the password', () => {
    expect(redactUrl('amqp://u:secret@h:5672/v')).toBe('amqp://u:***@h:5672/v');
    expect(redactUrl('amqp://h')).toBe('amqp://h');
  });
});
