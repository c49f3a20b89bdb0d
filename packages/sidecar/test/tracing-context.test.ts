/** W3C trace context, grpc-trace-bin and `spec.tracing` parsing (spec §5.1), without any server. */
import { describe, expect, it } from 'vitest';
import {
  type HttpSpanFields,
  httpSpanAttributes,
  routeBlock,
  routeName,
} from '../src/observability/http-span-attributes.js';
import {
  formatTraceparent,
  grpcTraceBin,
  parseGrpcTraceBin,
  parseTraceparent,
} from '../src/observability/trace-context.js';
import { PropagatingTracer, ratioSampled } from '../src/observability/tracing.js';
import { parseSamplingRate, parseTracingConfig } from '../src/observability/tracing-config.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('traceparent', () => {
  it('parses and formats version 00', () => {
    const context = parseTraceparent(`00-${TRACE}-${SPAN}-01`, 'congo=t61rcWkgMzE');
    expect(context).toEqual({ traceId: TRACE, spanId: SPAN, flags: 1, tracestate: 'congo=t61rcWkgMzE' });
    expect(formatTraceparent(context!)).toBe(`00-${TRACE}-${SPAN}-01`);
    expect(formatTraceparent({ ...context!, flags: 0 })).toBe(`00-${TRACE}-${SPAN}-00`);
  });

  it.each([
    ['empty', ''],
    ['zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['uppercase hex', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['version ff', `ff-${TRACE}-${SPAN}-01`],
    ['version 00 with a suffix', `00-${TRACE}-${SPAN}-01-extra`],
    ['short span id', `00-${TRACE}-${SPAN.slice(1)}-01`],
  ])('rejects %s', (_name, header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });

  it('accepts a later version with more fields after the flags', () => {
    expect(parseTraceparent(`01-${TRACE}-${SPAN}-01-future`)?.traceId).toBe(TRACE);
  });
});

describe('grpc-trace-bin', () => {
  it('round-trips the 29-byte OpenCensus form', () => {
    const context = { traceId: TRACE, spanId: SPAN, flags: 1, tracestate: '' };
    const bytes = grpcTraceBin(context);
    expect(bytes.length).toBe(29);
    expect(bytes.toString('hex')).toBe(`0000${TRACE}01${SPAN}0201`);
    expect(parseGrpcTraceBin(bytes)).toEqual(context);
  });

  it('rejects another version or a missing span id', () => {
    expect(parseGrpcTraceBin(Buffer.from(`0100${TRACE}01${SPAN}0201`, 'hex'))).toBeUndefined();
    expect(parseGrpcTraceBin(Buffer.from(`0000${TRACE}`, 'hex'))).toBeUndefined();
  });
});

describe('sampling', () => {
  it('is parent-based, and ratio-based for new traces', () => {
    const tracer = new PropagatingTracer(0);
    const parent = { traceId: TRACE, spanId: SPAN, flags: 1, tracestate: 'a=b' };
    const child = tracer.startSpan('x', 'client', parent).context;
    expect(child).toMatchObject({ traceId: TRACE, flags: 1, tracestate: 'a=b' });
    expect(child.spanId).not.toBe(SPAN);
    expect(tracer.startSpan('x', 'client', undefined).context.flags).toBe(0);
    expect(new PropagatingTracer(1).startSpan('x', 'client', undefined).context.flags).toBe(1);
    expect(ratioSampled(`${'0'.repeat(31)}1`, 1e-4)).toBe(true);
    expect(ratioSampled('f'.repeat(32), 0.5)).toBe(false);
  });
});

describe('spec.tracing', () => {
  it('defaults as daprd: on, 1e-4, no exporter', () => {
    expect(parseTracingConfig({})).toEqual({ enabled: true, samplingRate: 1e-4, stdout: false });
    expect(parseSamplingRate('')).toBe(1e-4);
    expect(parseSamplingRate('abc')).toBe(1e-4);
    expect(parseSamplingRate('0.5')).toBe(0.5);
  });

  it('is off only when samplingRate is exactly 0', () => {
    expect(parseTracingConfig({ tracing: { samplingRate: '0' } }).enabled).toBe(false);
    expect(parseTracingConfig({ tracing: { samplingRate: '' } }).enabled).toBe(true);
  });

  it('parses otel and zipkin exporters', () => {
    const config = parseTracingConfig({
      tracing: {
        samplingRate: '1',
        otel: { endpointAddress: 'localhost:4317', protocol: 'grpc', isSecure: false, headers: ['a=b=c', 'dropped'] },
        zipkin: { endpointAddress: 'http://localhost:9411/api/v2/spans' },
      },
    });
    expect(config.otel).toEqual({
      endpointAddress: 'localhost:4317',
      protocol: 'grpc',
      isSecure: false,
      headers: { a: 'b=c' },
    });
    expect(config.zipkin?.endpointAddress).toBe('http://localhost:9411/api/v2/spans');
  });

  it.each([
    [{ otel: { endpointAddress: 'h:1', protocol: 'tcp' } }, 'spec.tracing.otel.protocol: invalid protocol tcp'],
    [{ otel: { endpointAddress: 'h:1' } }, 'spec.tracing.otel.protocol: invalid protocol  provided for Otel endpoint'],
    [{ otel: { endpointAddress: 'http://h:1', protocol: 'http' } }, 'spec.tracing.otel.endpointAddress'],
    [{ otel: { endpointAddress: 'h:1', protocol: 'http', timeout: 'soon' } }, 'spec.tracing.otel.timeout'],
    [{ zipkin: { endpointAddress: 'localhost:9411' } }, 'spec.tracing.zipkin.endpointAddress'],
    [{ stdout: 'yes' }, 'spec.tracing.stdout'],
    [{ samplingRate: true }, 'spec.tracing.samplingRate'],
  ])('names the field of a bad value: %j', (tracing, message) => {
    expect(() => parseTracingConfig({ tracing })).toThrow(message);
  });
});

describe('HTTP API span attributes from their fields', () => {
  const attributes = (fields: HttpSpanFields) => {
    const out: Record<string, string> = {};
    httpSpanAttributes(fields, out);
    return out;
  };

  it("spells out daprd's attributes for a state call, the URL with its query", () => {
    const path = '/v1.0/state/store/k';
    expect(attributes(['GET', path, `${path}?metadata.a=1`, 'state', 'store', 200, '127.0.0.1', 5001])).toEqual({
      'db.system': 'state',
      'db.connection_string': 'state',
      'db.statement': `GET ${path}`,
      'db.name': 'store',
      'dapr.protocol': 'http',
      'dapr.api': `GET ${path}`,
      'dapr.status_code': '200',
      'http.request.method': 'GET',
      'url.full': `${path}?metadata.a=1`,
      'server.address': '127.0.0.1',
      'server.port': '5001',
    });
  });

  it('the path as URL when none is given, publish and plain routes, empty values left out', () => {
    const publish = attributes(['POST', '/v1.0/publish/p/t', '', 'publish', '', 204, '', 0]);
    expect(publish['url.full']).toBe('/v1.0/publish/p/t');
    expect(publish['messaging.system']).toBe('pubsub');
    expect(Object.keys(publish)).not.toContain('server.address');
    expect(Object.keys(publish)).not.toContain('server.port');
    const metadata = attributes(['GET', '/v1.0/metadata', '', 'metadata', '', 200, '::1', 1]);
    expect(Object.keys(metadata).filter((k) => k.startsWith('db.') || k.startsWith('messaging.'))).toEqual([]);
  });

  it('takes block and name from the route', () => {
    expect(routeBlock('v1.0/state/{storeName}/{key}')).toBe('state');
    expect(routeBlock('v1.0-alpha1/state/{storeName}/query')).toBe('state');
    expect(routeBlock('v1.0/healthz')).toBe('healthz');
    expect(routeBlock('nothing')).toBe('');
    expect(routeName('secrets', { storeName: 's' })).toBe('s');
    expect(routeName('bindings', { name: 'b' })).toBe('b');
    expect(routeName('publish', { pubsubname: 'p' })).toBe('');
  });
});
