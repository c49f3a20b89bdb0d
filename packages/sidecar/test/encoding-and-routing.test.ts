/** Pure pieces: Go-compatible JSON, routing-rule expressions, the HTTP route table, CLI flags. */
import { describe, expect, it } from 'vitest';
import { compileMatch } from '../src/app/route-match.js';
import { parseSidecarArgs } from '../src/cli.js';
import { Router } from '../src/http/router.js';
import { goJsonStringify } from '../src/shared/go-json.js';

describe('goJsonStringify (daprd re-serialisation)', () => {
  it('sorts keys, escapes HTML characters and line separators, quotes strings', () => {
    expect(goJsonStringify({ b: 1, a: [true, null, 'x<y>&z'] })).toBe(
      '{"a":[true,null,"x\\u003cy\\u003e\\u0026z"],"b":1}',
    );
    expect(goJsonStringify('v')).toBe('"v"');
    expect(goJsonStringify('\u2028')).toBe('"\\u2028"');
    expect(goJsonStringify(undefined)).toBe('null');
    expect(goJsonStringify({ nested: { z: 1, y: { x: 1e21, w: 0.000001 } } })).toBe(
      '{"nested":{"y":{"w":0.000001,"x":1e+21},"z":1}}',
    );
  });
});

describe('routing rules', () => {
  const event = { type: 'widget', data: { size: 3, tags: { color: 'red' } }, 'my-ext': 'yes' };
  it('evaluates comparisons, boolean logic, field access and has()', () => {
    expect(compileMatch('event.type == "widget"')(event)).toBe(true);
    expect(compileMatch("event.type != 'widget' || event.data.size >= 3")(event)).toBe(true);
    expect(compileMatch('event.data.tags.color == "red" && !(event.data.size < 2)')(event)).toBe(true);
    expect(compileMatch('event["my-ext"] == "yes"')(event)).toBe(true);
    expect(compileMatch('has(event.data.missing)')(event)).toBe(false);
  });
  it('fails on missing fields, non-boolean results and unsupported syntax', () => {
    expect(() => compileMatch('event.nope == 1')(event)).toThrow(/no such key/);
    expect(() => compileMatch('event.type')(event)).toThrow(/boolean/);
    expect(() => compileMatch('event.type.startsWith("w")')).toThrow();
  });
});

describe('HTTP router', () => {
  const noop = async () => {};
  const router = new Router()
    .add(['POST'], '/v1.0/state/{storeName}/bulk', noop)
    .add(['GET'], '/v1.0/state/{storeName}/{key}', noop)
    .add(['POST'], '/v1.0/publish/{pubsubName}/{topic*}', noop);
  it('decodes parameters with query-unescape and keeps raw slashes in catch-all topics', () => {
    expect(router.match('GET', '/v1.0/state/s/a+b%2Fc')).toMatchObject({
      kind: 'found',
      params: { storeName: 's', key: 'a b/c' },
    });
    expect(router.match('POST', '/v1.0/publish/p/a/b/c')).toMatchObject({
      kind: 'found',
      params: { pubsubName: 'p', topic: 'a/b/c' },
    });
    expect(router.match('GET', '//v1.0//state/s/k/')).toMatchObject({ kind: 'found', params: { key: 'k' } });
  });
  it('tells unknown routes, wrong methods and bad escapes apart', () => {
    expect(router.match('GET', '/v1.0/other').kind).toBe('not-found');
    expect(router.match('DELETE', '/v1.0/state/s/bulk').kind).toBe('method-not-allowed');
    expect(router.match('GET', '/v1.0/state/s/%zz').kind).toBe('bad-path');
  });
});

describe('CLI flags', () => {
  it('accepts daprd flag names with one or two dashes and defaults to loopback', () => {
    const options = parseSidecarArgs([
      '-app-id',
      'a',
      '--app-port=3000',
      '--components-path',
      'x',
      '--resources-path',
      'y',
      '--dapr-grpc-port',
      '-1',
    ]);
    expect(options).toMatchObject({
      appId: 'a',
      appPort: 3000,
      resourcesPaths: ['y', 'x'],
      listenAddress: '127.0.0.1',
      httpPort: 3500,
      grpcPort: false,
    });
  });
  it('rejects bad values with the flag name', () => {
    expect(() => parseSidecarArgs(['--app-protocol', 'soap'])).toThrow(/'app-protocol'/);
    expect(() => parseSidecarArgs(['--dapr-http-port', 'x'])).toThrow(/--dapr-http-port/);
  });
});
