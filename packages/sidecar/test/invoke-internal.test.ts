/**
 * daprd's internal API edges (spec sidecar-wave2 §2.1–§2.2), on the wire: the server's checks (API version,
 * leading chunk, sequence numbers, CallActor), the client's fallback from CallLocalStream to CallLocal when the
 * callee answers UNIMPLEMENTED, and the unknown-method hook gRPC proxying registers.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@daprkit/component-sdk';
import { type ClientError, GrpcClient, GrpcServer } from '@daprkit/component-sdk/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSidecar, type Sidecar } from '../src/index.js';
import { internalMethods, SERVICE, type WireInternalRequest } from '../src/invoke/internal-proto.js';
import { startInternalServer } from '../src/invoke/internal-server.js';
import { http } from './support.js';

const run = randomUUID().slice(0, 8);
const methods = internalMethods();
let unaryOnly: GrpcServer;
let unaryOnlyPort = 0;
let received: WireInternalRequest | undefined;
let caller: Sidecar;
let server: Awaited<ReturnType<typeof startInternalServer>>;
let client: GrpcClient;

const request = (ver: number): WireInternalRequest => ({
  ver,
  metadata: { 'X-A': { values: ['1'] } },
  message: {
    method: 'm',
    data: { type_url: '', value: Buffer.from('b') },
    content_type: 'text/plain',
    http_extension: { verb: 3, querystring: '' },
  },
  actor: null,
});

beforeAll(async () => {
  // A callee that only has the unary CallLocal (as a sidecar older than streaming invocation would).
  unaryOnly = new GrpcServer({ maxMessageBytes: 4 << 20 });
  unaryOnly.addService(
    { CallLocal: methods.CallLocal },
    {
      CallLocal: (call: { request: WireInternalRequest }, cb: (e: unknown, v?: unknown) => void) => {
        received = call.request;
        cb(null, {
          status: { code: 202, message: '', details: [] },
          headers: { 'X-Reply': { values: ['r'] } },
          trailers: {},
          message: {
            data: { type_url: '', value: Buffer.from(`unary:${call.request.message?.data?.value}`) },
            content_type: 'text/plain',
          },
        });
      },
    },
  );
  unaryOnlyPort = ((await unaryOnly.listen({ host: '127.0.0.1', port: 0 })) as { port: number }).port;
  const dir = await mkdtemp(join(tmpdir(), 'dk-internal-'));
  const config = join(dir, 'config.yaml');
  await writeFile(
    config,
    `apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: c\nspec:\n  nameResolution:\n    component: static\n    configuration:\n      apps:\n        old-${run}: "127.0.0.1:${unaryOnlyPort}"\n`,
  );
  caller = await createSidecar({
    appId: `caller-${run}`,
    httpPort: 0,
    grpcPort: false,
    components: [],
    logger: silentLogger,
    configPaths: [config],
  });
  server = await startInternalServer({
    host: '127.0.0.1',
    port: 0,
    invokeLocal: async (call) => ({
      status: 200,
      message: '',
      headers: {},
      trailers: {},
      contentType: '',
      body: call.body,
      typeUrl: '',
    }),
  });
  client = new GrpcClient({ host: '127.0.0.1', port: server.port }, { maxMessageBytes: 4 << 20, metadata: [] });
});

afterAll(async () => {
  client?.close();
  await Promise.allSettled([caller?.close(), server?.close()]);
  unaryOnly?.forceShutdown();
});

describe('internal API client', () => {
  it('falls back to CallLocal when the callee answers CallLocalStream with UNIMPLEMENTED', async () => {
    const res = await http(caller.httpPort, 'POST', `/v1.0/invoke/old-${run}/method/m`, 'body', {
      'content-type': 'text/plain',
    });
    expect(res.status).toBe(202);
    expect(res.text).toBe('unary:body');
    expect(res.headers.get('x-reply')).toBe('r');
    expect(received?.ver).toBe(1);
    expect(received?.message?.http_extension).toEqual({ verb: 3, querystring: '' });
    expect(received?.metadata['dapr-caller-app-id']?.values).toEqual([`caller-${run}`]);
    expect(received?.metadata['dapr-callee-app-id']?.values).toEqual([`old-${run}`]);
  });
});

describe('internal API server', () => {
  const unary = (name: 'CallLocal' | 'CallActor', value: unknown) =>
    client.unary(`/${SERVICE}/${name}`, methods[name].requestSerialize(value));

  it('answers CallLocal, refuses other API versions and actors', async () => {
    const ok = methods.CallLocal.responseDeserialize(await unary('CallLocal', request(1))) as {
      status: { code: number };
    };
    expect(ok.status.code).toBe(200);
    await expect(unary('CallLocal', request(0))).rejects.toMatchObject({
      code: 12,
      details: 'Unsupported spec version: 0',
    });
    await expect(unary('CallActor', request(1))).rejects.toMatchObject({ code: 12 });
  });

  it('checks the leading chunk and the sequence numbers of CallLocalStream', async () => {
    const stream = (chunks: unknown[]) =>
      new Promise<ClientError | undefined>((resolve) => {
        const duplex = client.bidi(
          `/${SERVICE}/CallLocalStream`,
          (v) => methods.CallLocalStream.requestSerialize(v),
          (b) => methods.CallLocalStream.responseDeserialize(b),
        );
        duplex.on('error', (e: ClientError) => resolve(e));
        duplex.on('status', (s: { code: number }) => s.code === 0 && resolve(undefined));
        duplex.on('data', () => {});
        for (const chunk of chunks) duplex.write(chunk);
        duplex.end();
      });
    const noRequest = await stream([{ request: null, payload: { data: Buffer.from('x'), seq: 0 } }]);
    expect(noRequest?.code).toBe(3);
    expect(noRequest?.details).toContain('request does not contain the required fields in the leading chunk');
    const badSeq = await stream([
      { request: request(1), payload: { data: Buffer.from('x'), seq: 0 } },
      { request: null, payload: { data: Buffer.from('y'), seq: 5 } },
    ]);
    expect(badSeq?.details).toBe('invalid sequence number received: 5 (expected: 1)');
    expect(await stream([{ request: request(1), payload: { data: Buffer.from('x'), seq: 0 } }])).toBeUndefined();
  });

  it('hands methods of other services to the fallback (gRPC proxy mode) when one is given', async () => {
    await expect(client.unary('/other.Service/Call', Buffer.alloc(0))).rejects.toMatchObject({ code: 12 });
    const seen: string[] = [];
    const withFallback = await startInternalServer({
      host: '127.0.0.1',
      port: 0,
      invokeLocal: async () => {
        throw new Error('not called');
      },
      fallback: (call) => {
        seen.push(call.path, String(call.metadata.get('content-type')[0]));
        call.finish(9, 'handled by the fallback');
      },
    });
    const other = new GrpcClient(
      { host: '127.0.0.1', port: withFallback.port },
      { maxMessageBytes: 4 << 20, metadata: [] },
    );
    try {
      await expect(other.unary('/other.Service/Call', Buffer.alloc(0))).rejects.toMatchObject({ code: 9 });
      expect(seen).toEqual(['/other.Service/Call', 'application/grpc']);
    } finally {
      other.close();
      await withFallback.close();
    }
  });
});
