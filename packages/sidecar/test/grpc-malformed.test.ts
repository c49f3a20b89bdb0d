/**
 * Malformed gRPC frames on the sidecar's API (issue 21 item 9): a truncated unary message and undecodable bytes are
 * the client's mistake, so INVALID_ARGUMENT with a message saying which, and the server keeps serving.
 * Driven with node:http2 so the bytes are exactly what we choose.
 */
import { connect } from 'node:http2';
import { silentLogger } from '@daprkit/component-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSidecar, type Sidecar } from '../src/index.js';

const GET_STATE = '/dapr.proto.runtime.v1.Dapr/GetState';

function send(port: number, body: Buffer, path = GET_STATE): Promise<{ status: string; message: string }> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const stream = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    let headers: Record<string, unknown> = {};
    stream.on('response', (h) => {
      headers = h;
    });
    stream.on('trailers', (t) => {
      headers = { ...headers, ...t };
    });
    stream.on('data', () => {});
    stream.on('close', () => {
      session.close();
      resolve({
        status: String(headers['grpc-status']),
        message: decodeURIComponent(String(headers['grpc-message'] ?? '')),
      });
    });
    stream.end(body);
  });
}

function framed(payload: Buffer, declaredLength = payload.length): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(declaredLength, 1);
  return Buffer.concat([prefix, payload]);
}

describe('malformed gRPC frames on the sidecar API', () => {
  let sidecar: Sidecar;
  beforeAll(async () => {
    sidecar = await createSidecar({
      appId: 'malformed',
      grpcTransport: 'daprkit',
      httpPort: 0,
      grpcPort: 0,
      components: [{ name: 'statestore', type: 'state.in-memory' }],
      logger: silentLogger,
    });
  });
  afterAll(() => sidecar?.close());

  it('a unary message cut short: INVALID_ARGUMENT saying it was truncated', async () => {
    const result = await send(sidecar.grpcPort!, framed(Buffer.from([0x0a, 0x0a, 0x73, 0x74]), 40));
    expect(result).toEqual({
      status: '3',
      message: `request for ${GET_STATE} ended inside a truncated gRPC message`,
    });
  });

  it('a prefix cut short: INVALID_ARGUMENT too', async () => {
    expect((await send(sidecar.grpcPort!, Buffer.from([0, 0, 0]))).status).toBe('3');
  });

  it('bytes that are not the request message: INVALID_ARGUMENT naming the decode failure', async () => {
    // an unknown field (5) with wire type 7, which does not exist (protobufjs reads known fields leniently)
    const result = await send(sidecar.grpcPort!, framed(Buffer.from([0x2f, 0x01])));
    expect(result.status).toBe('3');
    expect(result.message).toMatch(
      new RegExp(`^cannot decode the request message of ${GET_STATE}: invalid wire type 7`, 'i'),
    );
  });

  it('keeps serving afterwards', async () => {
    // store_name "statestore", key "k": not found is an empty response, status OK
    const request = Buffer.concat([Buffer.from([0x0a, 10]), Buffer.from('statestore'), Buffer.from([0x12, 1, 0x6b])]);
    expect(await send(sidecar.grpcPort!, framed(request))).toEqual({ status: '0', message: '' });
  });
});
