// The daprkit engine's GrpcServer on its own (TCP, grpc-js as the client): server- and client-streaming methods,
// the authorize hook running before routing, the raw unknown-method fallback, and a truncated unary message.
import { connect as http2Connect } from 'node:http2';
import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DuplexCall, GrpcServer, type MethodShape, type RawCall } from '../src/transport/index.js';

const raw = (b: Buffer) => b;
const shape = (path: string, requestStream: boolean, responseStream: boolean): MethodShape => ({
  path,
  requestStream,
  responseStream,
  requestDeserialize: (b) => b,
  responseSerialize: (v) => v as Buffer,
});

const SERVICE = {
  Echo: shape('/t.S/Echo', false, false),
  Count: shape('/t.S/Count', false, true),
  Sum: shape('/t.S/Sum', true, false),
};

describe('GrpcServer method shapes and hooks', () => {
  let server: GrpcServer;
  let port: number;
  let client: Client;
  const fallbackCalls: { path: string; bytes: Buffer; app: string | undefined }[] = [];

  beforeAll(async () => {
    server = new GrpcServer({
      maxMessageBytes: 1 << 20,
      authorize: (metadata) => (metadata.get('token')[0] === 'ok' ? undefined : { code: 16, message: 'no token' }),
      fallback: (call: RawCall) => {
        const chunks: Buffer[] = [];
        call.onData = (chunk) => chunks.push(Buffer.from(chunk));
        call.onEnd = () => {
          const bytes = Buffer.concat(chunks);
          fallbackCalls.push({ path: call.path, bytes, app: call.metadata.get('app')[0] as string | undefined });
          call.sendHeaders([['x-fallback', 'yes']]);
          call.write(bytes); // echo the frames as they came
          call.finishRaw([
            ['grpc-status', '0'],
            ['x-done', '1'],
          ]);
        };
      },
    });
    server.addService(SERVICE, {
      Echo: (call: { request: Buffer }, cb: (e: unknown, r?: Buffer) => void) => cb(null, call.request),
      Count: (call: DuplexCall) => {
        const n = Number((call.request as Buffer).toString());
        if (n < 0) {
          call.emit('error', { code: 3, details: 'negative' });
          return;
        }
        for (let i = 0; i < n; i++) call.write(Buffer.from(String(i)));
        call.end();
      },
      Sum: (call: DuplexCall, cb: (e: unknown, r?: Buffer) => void) => {
        let sum = 0;
        call.on('data', (b: Buffer) => {
          sum += Number(b.toString());
        });
        call.on('end', () => cb(null, Buffer.from(String(sum))));
      },
    });
    port = ((await server.listen({ host: '127.0.0.1', port: 0 })) as { port: number }).port;
    client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  });
  afterAll(() => {
    client?.close();
    server?.forceShutdown();
  });

  const md = (extra: Record<string, string> = {}) => {
    const m = new Metadata();
    m.set('token', 'ok');
    for (const [k, v] of Object.entries(extra)) m.set(k, v);
    return m;
  };

  /** Resolves on the status event (grpc-js calls the callback before it, so trailers would be missed). */
  function unary(path: string, body: string, metadata = md()) {
    return new Promise<{ error: ServiceError | null; response?: Buffer; trailers?: Metadata; headers?: Metadata }>(
      (resolve) => {
        let result: { error: ServiceError | null; response?: Buffer } = { error: null };
        let headers: Metadata | undefined;
        const call = client.makeUnaryRequest(path, raw, raw, Buffer.from(body), metadata, {}, (error, response) => {
          result = { error, ...(response ? { response } : {}) };
        });
        call.on('metadata', (m) => {
          headers = m;
        });
        call.on('status', (s) =>
          setImmediate(() => resolve({ ...result, trailers: s.metadata, ...(headers ? { headers } : {}) })),
        );
      },
    );
  }

  it('server streaming: one request, many responses; an error status ends it', async () => {
    const read = (n: string) =>
      new Promise<{ values: string[]; error?: ServiceError }>((resolve) => {
        const values: string[] = [];
        const call = client.makeServerStreamRequest('/t.S/Count', raw, raw, Buffer.from(n), md());
        call.on('data', (b: Buffer) => values.push(b.toString()));
        call.on('error', (error: ServiceError) => resolve({ values, error }));
        call.on('end', () => resolve({ values }));
      });
    expect(await read('3')).toEqual({ values: ['0', '1', '2'] });
    const failed = await read('-1');
    expect(failed.error?.code).toBe(3);
    expect(failed.error?.details).toBe('negative');
  });

  it('client streaming: many requests, one response', async () => {
    const sum = await new Promise<string>((resolve, reject) => {
      const call = client.makeClientStreamRequest('/t.S/Sum', raw, raw, md(), (error, response) =>
        error ? reject(error) : resolve(response!.toString()),
      );
      for (const n of ['1', '2', '39']) call.write(Buffer.from(n));
      call.end();
    });
    expect(sum).toBe('42');
  });

  it('authorize runs first: served and unknown methods alike', async () => {
    const bare = new Metadata();
    for (const path of ['/t.S/Echo', '/no.Such/Thing']) {
      const { error } = await unary(path, 'x', bare);
      expect(error?.code).toBe(16);
      expect(error?.details).toBe('no token');
    }
    expect(fallbackCalls).toEqual([]);
  });

  it('unknown methods go to the fallback with raw frames and metadata; its headers and trailers reach the client', async () => {
    const { error, response, trailers, headers } = await unary('/no.Such/Thing', 'hello', md({ app: 'a1' }));
    expect(error).toBeNull();
    expect(response?.toString()).toBe('hello');
    expect(headers?.get('x-fallback')).toEqual(['yes']);
    expect(trailers?.get('x-done')).toEqual(['1']);
    const seen = fallbackCalls.at(-1)!;
    expect(seen.path).toBe('/no.Such/Thing');
    expect(seen.app).toBe('a1');
    expect([...seen.bytes]).toEqual([0, 0, 0, 0, 5, ...Buffer.from('hello')]); // the gRPC frame as sent
  });

  it('a unary message cut short is INVALID_ARGUMENT saying so', async () => {
    const result = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const session = http2Connect(`http://127.0.0.1:${port}`);
      session.on('error', reject);
      const stream = session.request({
        ':method': 'POST',
        ':path': '/t.S/Echo',
        'content-type': 'application/grpc',
        token: 'ok',
      });
      let headers: Record<string, unknown> = {};
      stream.on('response', (h) => (headers = { ...h }));
      stream.on('trailers', (t) => (headers = { ...headers, ...t }));
      stream.on('data', () => {});
      stream.on('close', () => {
        session.close();
        resolve(headers);
      });
      stream.end(Buffer.from([0, 0, 0, 0, 9, 1, 2]));
    });
    expect(result['grpc-status']).toBe('3');
    expect(decodeURIComponent(String(result['grpc-message']))).toBe(
      'request for /t.S/Echo ended inside a truncated gRPC message',
    );
  });
});
