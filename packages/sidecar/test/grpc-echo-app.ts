/**
 * A gRPC test app for proxy-mode tests (raw bytes, no protos): Unary echoes with the app's name and records the
 * metadata it saw, Count streams n responses, Chat echoes each message; plus raw clients for them.
 */
import { connect } from 'node:net';
import {
  Client,
  credentials,
  Metadata,
  Server,
  ServerCredentials,
  type ServerDuplexStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceError,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js';

export const raw = (b: Buffer) => b;
export const UNARY = '/daprkit.test.Echo/Unary';
export const CHAT = '/daprkit.test.Echo/Chat';
export const COUNT = '/daprkit.test.Echo/Count';

/** A gRPC app with an echo service (raw bytes): Unary echoes with its name and the metadata it saw; Chat echoes each message. */
export async function startEchoApp(name: string): Promise<{ port: number; seen: Metadata[]; close(): void }> {
  const seen: Metadata[] = [];
  const server = new Server();
  server.addService(
    {
      Unary: {
        path: UNARY,
        requestStream: false,
        responseStream: false,
        requestSerialize: raw,
        requestDeserialize: raw,
        responseSerialize: raw,
        responseDeserialize: raw,
      },
      Count: {
        path: COUNT,
        requestStream: false,
        responseStream: true,
        requestSerialize: raw,
        requestDeserialize: raw,
        responseSerialize: raw,
        responseDeserialize: raw,
      },
      Chat: {
        path: CHAT,
        requestStream: true,
        responseStream: true,
        requestSerialize: raw,
        requestDeserialize: raw,
        responseSerialize: raw,
        responseDeserialize: raw,
      },
    },
    {
      Unary: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
        seen.push(call.metadata);
        const text = call.request.toString();
        if (text === 'slow') {
          setTimeout(() => callback(null, Buffer.from('late')), 3000);
          return;
        }
        if (text === 'fail') {
          const trailer = new Metadata();
          trailer.set('x-why', 'asked to');
          callback({ code: status.NOT_FOUND, details: 'no such thing', metadata: trailer });
          return;
        }
        const header = new Metadata();
        header.set('x-app', name);
        call.sendMetadata(header);
        callback(null, Buffer.from(`${name}:${text}`));
      },
      Count: (call: ServerWritableStream<Buffer, Buffer>) => {
        for (let i = 0; i < Number(call.request.toString()); i++) call.write(Buffer.from(`${name}#${i}`));
        call.end();
      },
      Chat: (call: ServerDuplexStream<Buffer, Buffer>) => {
        call.on('data', (chunk: Buffer) => call.write(Buffer.from(`${name}<${chunk.toString()}>`)));
        call.on('end', () => call.end());
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { port, seen, close: () => server.forceShutdown() };
}

export function unary(
  port: number,
  body: string,
  md: Record<string, string>,
  path = UNARY,
): Promise<{ error: ServiceError | null; response?: string; headers?: Metadata }> {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  const metadata = new Metadata();
  for (const [k, v] of Object.entries(md)) metadata.set(k, v);
  return new Promise((resolve) => {
    let headers: Metadata | undefined;
    const call = client.makeUnaryRequest(path, raw, raw, Buffer.from(body), metadata, {}, (error, response) => {
      client.close();
      resolve({ error, ...(response ? { response: response.toString() } : {}), ...(headers ? { headers } : {}) });
    });
    call.on('metadata', (m) => {
      headers = m;
    });
  });
}

export function chat(port: number, messages: string[], md: Record<string, string>): Promise<string[]> {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  const metadata = new Metadata();
  for (const [k, v] of Object.entries(md)) metadata.set(k, v);
  const call = client.makeBidiStreamRequest(CHAT, raw, raw, metadata);
  const received: string[] = [];
  return new Promise((resolve, reject) => {
    call.on('data', (b: Buffer) => received.push(b.toString()));
    call.on('error', (e) => {
      client.close();
      reject(e);
    });
    call.on('end', () => {
      client.close();
      resolve(received);
    });
    for (const m of messages) call.write(Buffer.from(m));
    call.end();
  });
}

export function portOpen(port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(undefined));
  });
}
