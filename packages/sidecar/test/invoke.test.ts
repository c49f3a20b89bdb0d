/**
 * Service invocation between two in-process daprkit sidecars over the internal API (static name resolution):
 * verb/query/header/body passthrough, daprd's added and stripped headers, status passthrough, the `dapr-app-id`
 * header form, the fallthrough JSON 404, ERR_DIRECT_INVOKE mappings, URL and HTTPEndpoint targets, gRPC
 * InvokeService and `--app-max-concurrency`.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@daprkit/component-sdk';
import {
  credentials,
  Metadata,
  makeClientConstructor,
  Server,
  ServerCredentials,
  type ServiceError,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSidecar, type Sidecar } from '../src/index.js';
import { appCallbackService, daprService } from '../src/shared/runtime-proto.js';
import { http, type Recorded, startApp, staticResolutionConfig } from './support.js';

const run = randomUUID().slice(0, 8);
const caller = `caller-${run}`;
const callee = `callee-${run}`;
let app: Awaited<ReturnType<typeof startApp>>;
let a: Sidecar;
let b: Sidecar;
let inFlight = 0;
let maxInFlight = 0;

beforeAll(async () => {
  app = await startApp({
    'POST /api/orders?x=1&y=%20a+b': (_r, res) => {
      res.writeHead(201, { 'content-type': 'text/plain', 'x-app-reply': 'yes' });
      res.end('created');
    },
    'GET /missing': (_r, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"nope":true}');
    },
    'GET /api/x': (_r, res) => {
      res.writeHead(200);
      res.end('x');
    },
    'POST /boom': (_r, res) => {
      res.writeHead(500);
      res.end('bad');
    },
    'POST /echo': (r, res) => {
      res.writeHead(200, { 'content-type': r.headers['content-type'] ?? '' });
      res.end(r.body);
    },
    'GET /slow': (_r, res) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(200);
        res.end('ok');
      }, 150);
    },
  });
  const dir = await mkdtemp(join(tmpdir(), 'dk-invoke-'));
  const resources = await mkdtemp(join(tmpdir(), 'dk-invoke-res-'));
  await writeFile(
    join(resources, 'endpoint.yaml'),
    `apiVersion: dapr.io/v1alpha1\nkind: HTTPEndpoint\nmetadata:\n  name: ext-${run}\nspec:\n  baseUrl: http://127.0.0.1:${app.port}\n  headers:\n    - name: X-Endpoint\n      value: set-by-endpoint\n`,
  );
  const common = {
    httpPort: 0,
    grpcPort: 0,
    logger: silentLogger,
    components: [],
    metrics: { enabled: true, port: 0, host: '127.0.0.1' },
  };
  b = await createSidecar({
    ...common,
    appId: callee,
    appPort: app.port,
    appMaxConcurrency: 1,
    appApiToken: 'app-secret',
    configPaths: [await staticResolutionConfig(dir, 'b.yaml', {})],
  });
  a = await createSidecar({
    ...common,
    appId: caller,
    resourcesPaths: [resources],
    configPaths: [await staticResolutionConfig(dir, 'a.yaml', { [callee]: `127.0.0.1:${b.internalGrpcPort}` })],
  });
  await b.ready;
});

afterAll(async () => {
  await Promise.allSettled([a?.close(), b?.close()]);
  await app?.close();
});

const last = (path: string): Recorded => {
  const found = app.requests.filter((r) => r.url === path).at(-1);
  if (!found) throw new Error(`the app got no request for ${path}`);
  return found;
};

describe('HTTP invocation between two daprkit sidecars', () => {
  it('passes verb, raw query, headers and body through and the app status, headers and body back', async () => {
    const res = await http(a.httpPort, 'POST', `/v1.0/invoke/${callee}/method/api/orders?x=1&y=%20a+b`, 'order-1', {
      'content-type': 'text/plain',
      'x-custom': 'c1',
      'dapr-api-token': 'caller-side-token',
    });
    expect(res.status).toBe(201);
    expect(res.text).toBe('created');
    expect(res.headers.get('x-app-reply')).toBe('yes');
    expect(res.headers.get('content-type')).toBe('text/plain');
    const seen = last('/api/orders?x=1&y=%20a+b');
    expect(seen.method).toBe('POST');
    expect(seen.body).toBe('order-1');
    expect(seen.headers['x-custom']).toBe('c1');
    expect(seen.headers['content-type']).toBe('text/plain');
    expect(seen.headers['dapr-caller-app-id']).toBe(caller);
    expect(seen.headers['dapr-callee-app-id']).toBe(callee);
    expect(seen.headers['dapr-caller-namespace']).toBe('default');
    expect(seen.headers['x-forwarded-for']).toMatch(/\d/);
    expect(seen.headers.forwarded).toMatch(/^for=.*;by=.*;host=/);
    expect(seen.headers['destination-app-id']).toBeUndefined();
    expect(seen.headers['dapr-api-token']).toBe('app-secret'); // APP_API_TOKEN, never the caller's token
  });

  it('passes an app error status and body through unchanged', async () => {
    const res = await http(a.httpPort, 'GET', `/v1.0/invoke/${callee}/method/missing`);
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ nope: true });
    expect((await http(a.httpPort, 'POST', `/v1.0/invoke/${callee}.default/method/boom`)).status).toBe(500);
  });

  it('routes by the dapr-app-id header (and removes it) on paths no API route owns', async () => {
    const res = await http(a.httpPort, 'GET', '/api/x', undefined, { 'dapr-app-id': callee });
    expect(res.status).toBe(200);
    expect(res.text).toBe('x');
    expect(last('/api/x').headers['dapr-app-id']).toBeUndefined();
    const basic = Buffer.from(`dapr-app-id:${callee}`).toString('base64');
    expect((await http(a.httpPort, 'GET', '/api/x', undefined, { authorization: `Basic ${basic}` })).text).toBe('x');
  });

  it('answers unknown routes and wrong methods with JSON 404 ERR_DIRECT_INVOKE', async () => {
    const body = {
      errorCode: 'ERR_DIRECT_INVOKE',
      message: 'failed getting app id either from the URL path or the header dapr-app-id',
    };
    for (const [method, path] of [
      ['GET', '/no/such/route'],
      ['DELETE', '/v1.0/publish/p/t'],
      ['GET', '/v1.0/invoke/only-an-id'],
    ] as const) {
      const res = await http(a.httpPort, method, path);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.json).toEqual(body);
    }
  });

  it('maps resolution and target errors to 500 ERR_DIRECT_INVOKE', async () => {
    const unknown = await http(a.httpPort, 'GET', `/v1.0/invoke/nobody-${run}/method/x`);
    expect(unknown.status).toBe(500);
    expect(unknown.json.errorCode).toBe('ERR_DIRECT_INVOKE');
    expect(unknown.json.message).toMatch(new RegExp(`^failed to invoke, id: nobody-${run}, err: .*nobody-${run}`));
    const invalid = await http(a.httpPort, 'GET', '/v1.0/invoke/a.b.c/method/x');
    expect(invalid.status).toBe(500);
    expect(invalid.json.message).toBe('failed to invoke, id: a.b.c, err: invalid app id a.b.c');
    const noApp = await http(a.httpPort, 'GET', `/v1.0/invoke/${caller}/method/x`);
    expect(noApp.status).toBe(500);
    expect(noApp.json.message).toContain('app channel is not initialized');
  });

  it('calls http:// URLs and HTTPEndpoint resources from the caller sidecar', async () => {
    const url = encodeURIComponent(`http://127.0.0.1:${app.port}`);
    const direct = await http(a.httpPort, 'POST', `/v1.0/invoke/${url}/method/echo`, 'hi', { 'content-type': 'x/y' });
    expect(direct.status).toBe(200);
    expect(direct.text).toBe('hi');
    const viaEndpoint = await http(a.httpPort, 'POST', `/v1.0/invoke/ext-${run}/method/echo`, 'there', {
      'x-endpoint': 'overridden',
    });
    expect(viaEndpoint.text).toBe('there');
    expect(last('/echo').headers['x-endpoint']).toBe('set-by-endpoint');
  });

  it('carries bodies larger than one stream chunk', async () => {
    const big = 'z'.repeat(300_000);
    const res = await http(a.httpPort, 'POST', `/v1.0/invoke/${callee}/method/echo`, big, {
      'content-type': 'text/plain',
    });
    expect(res.text.length).toBe(big.length);
    expect(res.text === big).toBe(true);
  });

  it('queues calls beyond --app-max-concurrency', async () => {
    maxInFlight = 0;
    const all = await Promise.all(
      Array.from({ length: 4 }, () => http(a.httpPort, 'GET', `/v1.0/invoke/${callee}/method/slow`)),
    );
    expect(all.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(maxInFlight).toBe(1);
  });
});

/** One series' value in a sidecar's Prometheus text (0 when absent). */
async function metric(sidecar: Sidecar, name: string, labels: Record<string, string>): Promise<number> {
  const text = (await http(sidecar.metricsPort!, 'GET', '/metrics')).text;
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe("daprd's service invocation metrics", () => {
  it('counts requests and responses on the caller and the callee', async () => {
    const sent = { dst_app_id: callee, type: 'unary' };
    const received = { src_app_id: callee, status: '200', type: 'unary' };
    const before = {
      sent: await metric(a, 'dapr_runtime_service_invocation_req_sent_total', sent),
      received: await metric(a, 'dapr_runtime_service_invocation_res_recv_total', received),
      latency: await metric(a, 'dapr_runtime_service_invocation_res_recv_latency_ms_count', {
        src_app_id: callee,
        status: '200',
      }),
      calleeIn: await metric(b, 'dapr_runtime_service_invocation_req_recv_total', { src_app_id: caller }),
      calleeOut: await metric(b, 'dapr_runtime_service_invocation_res_sent_total', {
        dst_app_id: caller,
        status: '200',
      }),
    };
    for (let i = 0; i < 3; i++)
      expect((await http(a.httpPort, 'POST', `/v1.0/invoke/${callee}/method/echo`, 'x')).status).toBe(200);
    expect(await metric(a, 'dapr_runtime_service_invocation_req_sent_total', sent)).toBe(before.sent + 3);
    expect(await metric(a, 'dapr_runtime_service_invocation_res_recv_total', received)).toBe(before.received + 3);
    expect(
      await metric(a, 'dapr_runtime_service_invocation_res_recv_latency_ms_count', {
        src_app_id: callee,
        status: '200',
      }),
    ).toBe(before.latency + 3);
    expect(await metric(b, 'dapr_runtime_service_invocation_req_recv_total', { src_app_id: caller })).toBe(
      before.calleeIn + 3,
    );
    expect(
      await metric(b, 'dapr_runtime_service_invocation_res_sent_total', { dst_app_id: caller, status: '200' }),
    ).toBe(before.calleeOut + 3);
  });
});

describe('gRPC InvokeService', () => {
  const invoke = (request: unknown) =>
    new Promise<{ data: { value: Buffer }; content_type: string }>((resolve, reject) => {
      const Dapr = makeClientConstructor(daprService().service as never, 'Dapr');
      const client = new Dapr(`127.0.0.1:${a.grpcPort}`, credentials.createInsecure()) as unknown as Record<
        string,
        (r: unknown, m: Metadata, cb: (e: ServiceError | null, v: never) => void) => void
      >;
      client.InvokeService!(request, new Metadata(), (error, value) => (error ? reject(error) : resolve(value)));
    });

  it('invokes an HTTP app through the other sidecar', async () => {
    const response = await invoke({
      id: callee,
      message: {
        method: 'echo',
        data: { type_url: '', value: Buffer.from('over grpc') },
        content_type: 'text/plain',
        http_extension: { verb: 3, querystring: '' },
      },
    });
    expect(response.data.value.toString()).toBe('over grpc');
    expect(response.content_type).toBe('text/plain');
  });

  it('maps an HTTP error status to the gRPC code (500 → UNKNOWN) and a missing verb to an error', async () => {
    const failed = invoke({
      id: callee,
      message: { method: 'boom', data: null, content_type: '', http_extension: { verb: 3, querystring: '' } },
    });
    await expect(failed).rejects.toMatchObject({ code: 2, details: 'Internal Server Error' });
    const noVerb = invoke({
      id: callee,
      message: { method: 'echo', data: null, content_type: '', http_extension: null },
    });
    await expect(noVerb).rejects.toMatchObject({ code: 13 });
  });
});

describe('invocation of a gRPC app (AppCallback.OnInvoke)', () => {
  const grpcCallee = `grpc-callee-${run}`;
  let server: Server;
  let c: Sidecar;
  let caller2: Sidecar;
  let seen: { method: string; verb: number; query: string; body: string; meta: Record<string, unknown> } | undefined;

  beforeAll(async () => {
    server = new Server();
    server.addService(
      appCallbackService() as never,
      {
        OnInvoke: (
          call: {
            request: {
              method: string;
              data: { value: Buffer } | null;
              http_extension: { verb: number; querystring: string } | null;
            };
            metadata: Metadata;
          },
          callback: (e: unknown, v?: unknown) => void,
        ) => {
          const r = call.request;
          seen = {
            method: r.method,
            verb: r.http_extension?.verb ?? 0,
            query: r.http_extension?.querystring ?? '',
            body: r.data?.value.toString() ?? '',
            meta: call.metadata.getMap(),
          };
          if (r.method === 'deny') return callback({ code: 7, details: 'no entry' });
          callback(null, {
            data: { type_url: '', value: Buffer.from(`grpc:${seen.body}`) },
            content_type: 'text/plain',
          });
        },
      } as unknown as UntypedServiceImplementation,
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    const dir = await mkdtemp(join(tmpdir(), 'dk-invoke-grpc-'));
    const common = { httpPort: 0, grpcPort: 0, logger: silentLogger, components: [] };
    c = await createSidecar({
      ...common,
      appId: grpcCallee,
      appPort: port,
      appProtocol: 'grpc',
      configPaths: [await staticResolutionConfig(dir, 'c.yaml', {})],
    });
    caller2 = await createSidecar({
      ...common,
      appId: `caller2-${run}`,
      configPaths: [await staticResolutionConfig(dir, 'd.yaml', { [grpcCallee]: `127.0.0.1:${c.internalGrpcPort}` })],
    });
    await c.ready;
  });

  afterAll(async () => {
    await Promise.allSettled([c?.close(), caller2?.close()]);
    server?.forceShutdown();
  });

  it('delivers an HTTP invocation as OnInvoke with verb, query, body and caller metadata', async () => {
    const res = await http(caller2.httpPort, 'PUT', `/v1.0/invoke/${grpcCallee}/method/things/1?a=b`, 'payload', {
      'content-type': 'text/plain',
      'x-custom': 'v',
    });
    expect(res.status).toBe(200);
    expect(res.text).toBe('grpc:payload');
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(seen).toMatchObject({ method: 'things/1', verb: 4, query: 'a=b', body: 'payload' });
    expect(seen?.meta['dapr-caller-app-id']).toBe(`caller2-${run}`);
    expect(seen?.meta['x-custom']).toBe('v');
  });

  it("maps the gRPC app's error code to HTTP with a google.rpc.Status body", async () => {
    const res = await http(caller2.httpPort, 'POST', `/v1.0/invoke/${grpcCallee}/method/deny`);
    expect(res.status).toBe(403);
    expect(res.json).toEqual({ code: 7, message: 'no entry' });
  });
});
