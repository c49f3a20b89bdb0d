/**
 * The bindings catalog in the sidecar, in process (resolved through DEFAULT_REGISTRY): bindings.cron delivering to an
 * HTTP app (OPTIONS probe, POST /<name>, metadata as headers) and to a gRPC app (ListInputBindings, OnBindingEvent),
 * and output bindings (localstorage, http, redis, cron's delete) through `POST /v1.0/bindings/<name>` and gRPC
 * InvokeBinding.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, realpath } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { freePort } from '@daprkit/component-sdk/testing';
import { probeRedis, REDIS_HOST } from '@daprkit/redis-common/testing';
import { createSidecar, type Sidecar } from '@daprkit/sidecar';
import {
  credentials,
  Metadata as GrpcMetadata,
  Server as GrpcServer,
  loadPackageDefinition,
  ServerCredentials,
  type ServiceClientConstructor,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSidecarBuilt, http, startApp, waitFor } from './support.js';

const BINDING_PACKAGES = [
  'packages/bindings-cron',
  'packages/bindings-http',
  'packages/bindings-localstorage',
  'packages/bindings-redis',
];
const GO_UTC = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,9})? \+0000 UTC$/;
const redisMissing = await probeRedis().then(
  () => undefined,
  (err: Error) => `Redis unreachable at ${REDIS_HOST}: ${err.message}`,
);
if (redisMissing && process.env.CI === 'true') throw new Error(`${redisMissing} (CI=true: a missing backend fails)`);

const proto = loadPackageDefinition(
  loadSync(['dapr/proto/runtime/v1/dapr.proto', 'dapr/proto/runtime/v1/appcallback.proto'], {
    includeDirs: [fileURLToPath(new URL('../proto/', import.meta.url))],
    keepCase: true,
    longs: Number,
    enums: Number,
    defaults: true,
    oneofs: true,
  }),
) as unknown as { dapr: { proto: { runtime: { v1: Record<string, ServiceClientConstructor> } } } };
const runtimeV1 = proto.dapr.proto.runtime.v1;

/** A local HTTP endpoint for bindings.http: echoes method, path, a header and the body. */
async function startEndpoint(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(req.url?.startsWith('/missing') ? 404 : 201, {
        'content-type': 'application/json',
        'x-seen': 'yes',
      });
      res.end(
        JSON.stringify({
          method: req.method,
          url: req.url,
          custom: req.headers['x-custom'] ?? null,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('input binding delivery to an HTTP app (bindings.cron in process)', () => {
  let sidecar: Sidecar;
  let app: Awaited<ReturnType<typeof startApp>>;
  let appReplies = 0;

  beforeAll(async () => {
    await ensureSidecarBuilt(BINDING_PACKAGES);
    app = await startApp({
      'OPTIONS /ticker': (_r, res) => void res.writeHead(200).end(),
      'POST /ticker': (_r, res) => {
        appReplies++;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      },
      'OPTIONS /custom-route': (_r, res) => void res.writeHead(405).end(),
      'POST /custom-route': (_r, res) => void res.writeHead(500).end('app failure'),
      'OPTIONS /unsubscribed': (_r, res) => void res.writeHead(404).end(),
    });
    sidecar = await createSidecar({
      appId: 'bindings-http-app',
      appPort: app.port,
      httpPort: 0,
      grpcPort: 0,
      logLevel: 'error',
      components: [
        { name: 'ticker', type: 'bindings.cron', metadata: { schedule: '@every 1s', direction: 'input' } },
        { name: 'routed', type: 'bindings.cron', metadata: { schedule: '@every 1s', route: '/custom-route' } },
        { name: 'unsubscribed', type: 'bindings.cron', metadata: { schedule: '@every 1s' } },
      ],
    });
    await sidecar.ready;
  });
  afterAll(async () => {
    await sidecar?.close();
    await app?.close();
  });

  it('POSTs each tick to /<name> with no body and the metadata as headers (direction: input skips the probe)', async () => {
    await waitFor(() => (appReplies >= 2 ? true : undefined), 8_000, 'two cron deliveries');
    expect(app.requests.some((r) => r.method === 'OPTIONS' && r.url === '/ticker')).toBe(false);
    expect(app.requests.some((r) => r.method === 'OPTIONS' && r.url === '/custom-route')).toBe(true);
    const tick = app.requests.find((r) => r.method === 'POST' && r.url === '/ticker')!;
    expect(tick.body).toBe('');
    expect(tick.headers['content-type']).toBe('application/json'); // what daprd sends with a cron tick too
    expect(tick.headers.timezone).toBe('Local');
    expect(tick.headers.readtimeutc).toMatch(GO_UTC);
  });

  it('honours the route metadata (405 on OPTIONS counts as subscribed); a failing app does not stop the schedule', async () => {
    await waitFor(
      () =>
        app.requests.filter((r) => r.method === 'POST' && r.url === '/custom-route').length >= 2 ? true : undefined,
      8_000,
      'two deliveries to the custom route despite 500s',
    );
  });

  it('does not deliver to an app that answered 404 to the probe', () => {
    expect(app.requests.some((r) => r.method === 'OPTIONS' && r.url === '/unsubscribed')).toBe(true);
    expect(app.requests.some((r) => r.method === 'POST' && r.url === '/unsubscribed')).toBe(false);
  });

  it("direction: input leaves no output side; without it cron's delete stops the schedule through the binding API", async () => {
    const inputOnly = await http(sidecar.httpPort, 'POST', '/v1.0/bindings/ticker', '{"operation":"delete"}');
    expect(inputOnly.status).toBe(500);
    expect(inputOnly.json.errorCode).toBe('ERR_INVOKE_OUTPUT_BINDING');
    const stopped = await http(sidecar.httpPort, 'POST', '/v1.0/bindings/routed', '{"operation":"delete"}');
    expect(stopped.status).toBe(204);
    expect(stopped.headers.get('metadata.schedule')).toBe('@every 1s');
    const count = () => app.requests.filter((r) => r.method === 'POST' && r.url === '/custom-route').length;
    const seen = count();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(count()).toBeLessThanOrEqual(seen + 1);
  });
});

describe('input binding delivery to a gRPC app (OnBindingEvent)', () => {
  let sidecar: Sidecar;
  let app: GrpcServer;
  const events: { name: string; data: Buffer; metadata: Record<string, string> }[] = [];

  beforeAll(async () => {
    await ensureSidecarBuilt(BINDING_PACKAGES);
    app = new GrpcServer();
    const unimplemented = (_call: unknown, cb: (err: { code: number }) => void) => cb({ code: 12 });
    const impl: UntypedServiceImplementation = {
      ListInputBindings: (_call: unknown, cb: (e: null, r: unknown) => void) => cb(null, { bindings: ['grpc-ticker'] }),
      ListTopicSubscriptions: (_call: unknown, cb: (e: null, r: unknown) => void) => cb(null, { subscriptions: [] }),
      OnBindingEvent: (
        call: { request: { name: string; data: Buffer; metadata: Record<string, string> } },
        cb: (e: null, r: unknown) => void,
      ) => {
        events.push(call.request);
        cb(null, { data: Buffer.from('ack'), to: [], states: [], concurrency: 0, store_name: '' });
      },
      OnInvoke: unimplemented,
      OnTopicEvent: unimplemented,
    };
    app.addService(runtimeV1.AppCallback!.service, impl);
    const port = await freePort();
    await new Promise<void>((resolve, reject) =>
      app.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
    );
    sidecar = await createSidecar({
      appId: 'bindings-grpc-app',
      appPort: port,
      appProtocol: 'grpc',
      httpPort: 0,
      grpcPort: 0,
      logLevel: 'error',
      components: [{ name: 'grpc-ticker', type: 'bindings.cron', metadata: { schedule: '@every 1s' } }],
    });
    await sidecar.ready;
  });
  afterAll(async () => {
    await sidecar?.close();
    app?.forceShutdown();
  });

  it('delivers each tick through OnBindingEvent with the binding name, no data and the cron metadata', async () => {
    await waitFor(() => (events.length >= 2 ? true : undefined), 8_000, 'two OnBindingEvent calls');
    const event = events[0]!;
    expect(event.name).toBe('grpc-ticker');
    expect(event.data.length).toBe(0);
    expect(event.metadata.timeZone).toBe('Local');
    expect(event.metadata.readTimeUTC).toMatch(GO_UTC);
  });
});

describe('output bindings through the binding API (HTTP and gRPC)', () => {
  let sidecar: Sidecar;
  let endpoint: Awaited<ReturnType<typeof startEndpoint>>;
  let root: string;
  let grpcClient: DaprClient;
  let rawGrpc: InstanceType<ServiceClientConstructor>;
  const redisKey = `daprkit-sidecar-bindings-${randomUUID()}`;

  beforeAll(async () => {
    await ensureSidecarBuilt(BINDING_PACKAGES);
    endpoint = await startEndpoint();
    root = await realpath(await mkdtemp(join(tmpdir(), 'dk-sidecar-files-')));
    sidecar = await createSidecar({
      appId: 'bindings-output',
      httpPort: 0,
      grpcPort: 0,
      logLevel: 'error',
      components: [
        { name: 'files', type: 'bindings.localstorage', metadata: { rootPath: root } },
        { name: 'web', type: 'bindings.http', metadata: { url: endpoint.url } },
        ...(redisMissing
          ? []
          : [{ name: 'cache', type: 'bindings.redis', metadata: { redisHost: REDIS_HOST, redisDB: '7' } }]),
      ],
    });
    await sidecar.ready;
    grpcClient = new DaprClient({
      daprHost: '127.0.0.1',
      daprPort: String(sidecar.grpcPort),
      communicationProtocol: CommunicationProtocolEnum.GRPC,
      logger: { level: LogLevel.Error },
    });
    rawGrpc = new runtimeV1.Dapr!(`127.0.0.1:${sidecar.grpcPort}`, credentials.createInsecure());
  });
  afterAll(async () => {
    rawGrpc?.close();
    await grpcClient?.stop();
    await sidecar?.close();
    endpoint?.server.close();
  });

  const invokeGrpc = (request: Record<string, unknown>) =>
    new Promise<{ data: Buffer; metadata: Record<string, string> }>((resolve, reject) =>
      (
        rawGrpc as unknown as Record<
          string,
          (r: unknown, m: GrpcMetadata, cb: (e: Error | null, r: never) => void) => void
        >
      ).InvokeBinding!(request, new GrpcMetadata(), (err, response) => (err ? reject(err) : resolve(response))),
    );

  it('localstorage over HTTP: the JSON-re-encoded string is unquoted; objects are stored as Go re-encodes them', async () => {
    const created = await http(
      sidecar.httpPort,
      'POST',
      '/v1.0/bindings/files',
      JSON.stringify({ operation: 'create', data: 'hello', metadata: { fileName: 'greeting.txt' } }),
    );
    expect(created.status).toBe(200);
    expect(created.json).toEqual({ fileName: 'greeting.txt' });
    expect(await readFile(join(root, 'greeting.txt'), 'utf8')).toBe('hello');
    await http(
      sidecar.httpPort,
      'POST',
      '/v1.0/bindings/files',
      JSON.stringify({ operation: 'create', data: { z: 1, a: [true] }, metadata: { fileName: 'obj.json' } }),
    );
    expect(await readFile(join(root, 'obj.json'), 'utf8')).toBe('{"a":[true],"z":1}');
    const got = await http(
      sidecar.httpPort,
      'POST',
      '/v1.0/bindings/files',
      JSON.stringify({ operation: 'get', metadata: { fileName: 'obj.json' } }),
    );
    expect(got.text).toBe('{"a":[true],"z":1}');
    const outside = await http(
      sidecar.httpPort,
      'POST',
      '/v1.0/bindings/files',
      JSON.stringify({ operation: 'get', metadata: { fileName: '../../../../etc/hostname' } }),
    );
    expect(outside.status).toBe(500);
    expect(outside.json.message).toContain(`file not found: ${join(root, 'etc/hostname')}`);
  });

  it('localstorage over gRPC InvokeBinding: data bytes verbatim', async () => {
    const response = await invokeGrpc({
      name: 'files',
      operation: 'create',
      data: Buffer.from('"raw"'),
      metadata: { fileName: 'g.txt', decodeBase64: 'false' },
    });
    expect(JSON.parse(response.data.toString())).toEqual({ fileName: 'g.txt' });
    expect(await readFile(join(root, 'g.txt'), 'utf8')).toBe('raw');
    const listed = (await grpcClient.binding.send('files', 'list', '')) as { data: Uint8Array };
    expect(JSON.parse(Buffer.from(listed.data).toString())).toEqual(
      expect.arrayContaining([join(root, 'g.txt'), join(root, 'greeting.txt')]),
    );
  });

  it('http over HTTP and gRPC: verbs, capitalised metadata as headers, statusCode in response metadata', async () => {
    const post = await http(
      sidecar.httpPort,
      'POST',
      '/v1.0/bindings/web',
      JSON.stringify({ operation: 'post', data: { n: 1 }, metadata: { path: '/orders', 'X-Custom': 'c1' } }),
    );
    expect(post.status).toBe(200);
    expect(post.json).toEqual({ method: 'POST', url: '/orders', custom: 'c1', body: '{"n":1}' });
    expect(post.headers.get('metadata.statuscode')).toBe('201');
    const viaGrpc = await invokeGrpc({
      name: 'web',
      operation: 'get',
      data: Buffer.alloc(0),
      metadata: { path: 'items' },
    });
    expect(JSON.parse(viaGrpc.data.toString())).toMatchObject({ method: 'GET', url: '/items' });
    expect(viaGrpc.metadata.statusCode).toBe('201');
    expect(viaGrpc.metadata['X-Seen']).toBe('yes');
    const missing = await http(
      sidecar.httpPort,
      'POST',
      '/v1.0/bindings/web',
      JSON.stringify({ operation: 'get', metadata: { path: 'missing' } }),
    );
    expect(missing.status).toBe(500);
    expect(missing.json.errorCode).toBe('ERR_INVOKE_OUTPUT_BINDING');
    expect(missing.json.message).toContain('received status code 404');
  });

  it.skipIf(redisMissing !== undefined)(
    `redis over HTTP and gRPC${redisMissing ? ` (skipped: ${redisMissing})` : ''}`,
    async () => {
      const created = await http(
        sidecar.httpPort,
        'POST',
        '/v1.0/bindings/cache',
        JSON.stringify({ operation: 'create', data: 'v1', metadata: { key: redisKey, ttlInSeconds: '60' } }),
      );
      expect(created.status).toBe(204);
      const got = await invokeGrpc({
        name: 'cache',
        operation: 'get',
        data: Buffer.alloc(0),
        metadata: { key: redisKey, delete: 'true' },
      });
      expect(got.data.toString()).toBe('"v1"'); // the HTTP API re-encoded the JSON string, quotes included
      const gone = await http(
        sidecar.httpPort,
        'POST',
        '/v1.0/bindings/cache',
        JSON.stringify({ operation: 'get', metadata: { key: redisKey } }),
      );
      expect(gone.status).toBe(204);
      const bad = await http(
        sidecar.httpPort,
        'POST',
        '/v1.0/bindings/cache',
        JSON.stringify({ operation: 'get', metadata: {} }),
      );
      expect(bad.status).toBe(500);
      expect(bad.json.message).toContain('redis binding: missing key in request metadata');
    },
  );
});
