// The daprkit engine's transport duties, driven by real clients over a unix socket (grpc-js as the gRPC peer,
// node:http2 for plain HTTP/2): flow control with large responses on many concurrent streams, grpc-timeout
// deadlines, the max message size, unknown methods, non-gRPC requests, and GOAWAY on close.
import { connect as http2Connect } from 'node:http2';
import { defineComponent, type StateStore } from '@daprkit/component-sdk';
import { createTestClient, startTestServer, type TestServer } from '@daprkit/component-sdk/testing';
import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { methodDefinition, ServiceName } from '../src/server/proto.js';

const BIG = 300 * 1024;

const store = (): StateStore => ({
  async init() {},
  features: () => [],
  async get({ key }) {
    if (key.startsWith('slow')) await new Promise((r) => setTimeout(r, 2000));
    if (key.startsWith('big')) return { data: Buffer.alloc(BIG, key.charCodeAt(key.length - 1)) };
    return { data: Buffer.from(`v:${key}`) };
  },
  async set() {},
  async delete() {},
});

const definition = defineComponent({
  kind: 'state',
  socketName: 'engine',
  packageName: 'engine-test',
  version: '0.0.0',
  types: [],
  create: store,
});

describe('daprkit engine transport', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer([definition], { transport: 'daprkit', maxMessageBytes: 2 * 1024 * 1024 });
  });
  afterAll(() => server?.close());

  function rawGet(key: string, options: { deadlineMs?: number; request?: Buffer } = {}) {
    const get = methodDefinition<object, Buffer>(ServiceName.StateStore, 'Get');
    const client = new Client(`unix:${server.socketPath()}`, credentials.createInsecure(), {
      'grpc.max_send_message_length': -1,
    });
    const metadata = new Metadata();
    metadata.set('x-component-instance', 'e');
    return new Promise<{ error: ServiceError | null; response?: Buffer }>((resolve) => {
      client.makeUnaryRequest(
        get.path,
        (value: object) => options.request ?? get.requestSerialize(value),
        (b: Buffer) => b,
        { key },
        metadata,
        options.deadlineMs ? { deadline: Date.now() + options.deadlineMs } : {},
        (error, response) => {
          client.close();
          resolve({ error, response });
        },
      );
    });
  }

  it('sends 40 concurrent 300 KiB responses through the stream and connection windows intact', async () => {
    const client = createTestClient(server.socketPath());
    const remote = client.state('e');
    await remote.init({});
    const keys = Array.from({ length: 40 }, (_, i) => `big-${String.fromCharCode(97 + (i % 26))}${i}`);
    const results = await Promise.all(keys.map((key) => remote.get({ key, metadata: {} })));
    for (const [i, result] of results.entries()) {
      const data = Buffer.from(result.data!);
      expect(data.length).toBe(BIG);
      expect(data.every((b) => b === keys[i]!.charCodeAt(keys[i]!.length - 1))).toBe(true);
    }
    await client.close();
  });

  it('honours grpc-timeout: a slow call ends with DEADLINE_EXCEEDED, and the server keeps serving', async () => {
    const client = createTestClient(server.socketPath());
    await client.state('e').init({});
    const started = Date.now();
    const { error } = await rawGet('slow-1', { deadlineMs: 200 });
    expect(error?.code).toBe(4);
    expect(Date.now() - started).toBeLessThan(1500);
    expect((await rawGet('fine')).error).toBeNull();
    await client.close();
  });

  it('answers a request above maxMessageBytes with RESOURCE_EXHAUSTED naming both sizes', async () => {
    const get = methodDefinition<object, Buffer>(ServiceName.StateStore, 'Get');
    const request = get.requestSerialize({ key: 'x'.repeat(3 * 1024 * 1024) });
    const { error } = await rawGet('ignored', { request });
    expect(error?.code).toBe(8);
    expect(error?.details).toMatch(/larger than max \(\d+ vs\. 2097152\)/);
    expect((await rawGet('fine')).error).toBeNull();
  });

  it('answers an unknown method with UNIMPLEMENTED and a non-gRPC request with HTTP 415', async () => {
    const client = new Client(`unix:${server.socketPath()}`, credentials.createInsecure());
    const error = await new Promise<ServiceError | null>((resolve) =>
      client.makeUnaryRequest(
        '/dapr.proto.components.v1.StateStore/Nope',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        new Metadata(),
        (err) => resolve(err),
      ),
    );
    client.close();
    expect(error?.code).toBe(12);
    expect(error?.details).toContain('/dapr.proto.components.v1.StateStore/Nope');

    const session = http2Connect('http://localhost', { path: server.socketPath() } as never);
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = session.request({ ':path': '/', ':method': 'GET' });
      let status = 0;
      let body = '';
      req.on('response', (h) => (status = Number(h[':status'])));
      req.on('data', (d) => (body += d));
      req.on('end', () => resolve({ status, body }));
      req.on('error', reject);
      req.end();
    });
    session.close();
    expect(status).toBe(415);
    expect(body).toContain('application/grpc');
  });

  it('a plugin call whose unary message is cut short gets INVALID_ARGUMENT saying so (issue 21 item 9)', async () => {
    const session = http2Connect('http://localhost', { path: server.socketPath() } as never);
    const trailers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = session.request({
        ':path': '/dapr.proto.components.v1.StateStore/Get',
        ':method': 'POST',
        'content-type': 'application/grpc',
        'x-component-instance': 'e',
      });
      let seen: Record<string, unknown> = {};
      req.on('response', (h) => (seen = { ...h }));
      req.on('trailers', (t) => (seen = { ...seen, ...t }));
      req.on('data', () => {});
      req.on('close', () => resolve(seen));
      req.on('error', reject);
      req.end(Buffer.from([0, 0, 0, 0, 20, 0x0a, 0x01])); // declares 20 bytes, sends 2
    });
    session.close();
    expect(trailers['grpc-status']).toBe('3');
    expect(decodeURIComponent(String(trailers['grpc-message']))).toBe(
      'request for /dapr.proto.components.v1.StateStore/Get ended inside a truncated gRPC message',
    );
  });

  it('close() sends GOAWAY: an idle peer connection sees it and the listener is gone', async () => {
    const local = await startTestServer([definition], { transport: 'daprkit' });
    const session = http2Connect('http://localhost', { path: local.socketPath() } as never);
    await new Promise((resolve) => session.once('connect', resolve));
    const goaway = new Promise<number>((resolve) => session.once('goaway', (code) => resolve(code)));
    await local.close();
    expect(await goaway).toBe(0);
    session.destroy();
  });
});
