/**
 * The `traceparent`/`tracestate` a traced HTTP response gets (api-spans.ts writeHeadWithTrace), merged with
 * whatever headers the handler wrote, in each form Node's writeHead accepts.
 */
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpSpan, TracedServerResponse } from '../src/observability/api-spans.js';
import { parseTraceparent } from '../src/observability/trace-context.js';
import { PropagatingTracer } from '../src/observability/tracing.js';

const PARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
/** One object every response of a route is written with, frozen: it must not be changed for the trace headers. */
const SHARED = Object.freeze({ 'Content-Type': 'text/plain', 'X-Shared': 'yes' });

const routes: Record<string, (res: ServerResponse) => void> = {
  '/shared': (res) => res.writeHead(200, SHARED).end('ok'),
  '/reason': (res) => res.writeHead(201, 'Made', { 'X-Kind': 'reason' }).end(),
  '/multi': (res) => res.writeHead(200, { 'Set-Cookie': ['a=1', 'b=2'] }).end(),
  '/own': (res) => res.writeHead(200, { traceparent: PARENT.replace(/01$/, '00') }).end(),
  '/set-first': (res) => {
    res.setHeader('X-Early', 'set');
    res.writeHead(200, { 'X-Late': 'head' }).end();
  },
  '/array': (res) => res.writeHead(200, ['X-Raw', 'pair']).end(),
  '/bare': (res) => res.writeHead(204).end(),
};

let server: Server;
let port: number;
const tracer = new PropagatingTracer(1);

beforeAll(async () => {
  server = createServer({ ServerResponse: TracedServerResponse }, (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    startHttpSpan(tracer, req, res, path, 'v1.0/test', {});
    routes[path]!(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function get(path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { traceparent: PARENT, tracestate: 'congo=t61rcWkgMzE' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The answered traceparent is a child of PARENT: same trace, new span, sampled. */
function expectChildOfParent(header: unknown) {
  const context = parseTraceparent(header);
  expect(context?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  expect(context?.spanId).not.toBe('00f067aa0ba902b7');
  expect(context?.flags).toBe(1);
}

describe('trace headers on traced HTTP responses', () => {
  it("adds them beside a handler's shared header object, which stays as it was", async () => {
    const first = await get('/shared');
    const second = await get('/shared');
    for (const { status, headers } of [first, second]) {
      expect(status).toBe(200);
      expect(headers['content-type']).toBe('text/plain');
      expect(headers['x-shared']).toBe('yes');
      expectChildOfParent(headers.traceparent);
      expect(headers.tracestate).toBe('congo=t61rcWkgMzE');
    }
    expect(first.headers.traceparent).not.toBe(second.headers.traceparent);
    expect(Object.keys(SHARED)).toEqual(['Content-Type', 'X-Shared']);
  });

  it('with a status message, several values of one header, after setHeader, as a raw list, and with none', async () => {
    const reason = await get('/reason');
    expect([reason.status, reason.headers['x-kind']]).toEqual([201, 'reason']);
    expectChildOfParent(reason.headers.traceparent);
    const multi = await get('/multi');
    expect(multi.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expectChildOfParent(multi.headers.traceparent);
    const setFirst = await get('/set-first');
    expect([setFirst.headers['x-early'], setFirst.headers['x-late']]).toEqual(['set', 'head']);
    expectChildOfParent(setFirst.headers.traceparent);
    const array = await get('/array');
    expect(array.headers['x-raw']).toBe('pair');
    expectChildOfParent(array.headers.traceparent);
    const bare = await get('/bare');
    expect(bare.status).toBe(204);
    expectChildOfParent(bare.headers.traceparent);
  });

  it("keeps a traceparent the handler wrote itself (daprd's rule)", async () => {
    const own = await get('/own');
    expect(own.headers.traceparent).toBe(PARENT.replace(/01$/, '00'));
  });
});
