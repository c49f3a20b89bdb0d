// Error encoding as daprd reads it (§4), checked on the raw trailer bytes with an independent protobufjs
// decoder, plus malformed input that must come back as a clean status while the server keeps serving.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BulkDeleteRowMismatchError,
  DaprkitError,
  defineComponent,
  ErrorCode,
  ETagInvalidError,
  ETagMismatchError,
  KitError,
  BulkDeleteRowMismatchError as RowMismatch,
  type StateStore,
  type TransactionalStore,
} from '@daprkit/component-sdk';
import { createTestClient, startTestServer, type TestServer } from '@daprkit/component-sdk/testing';
import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { methodDefinition, ServiceName } from '../src/server/proto.js';
import { resolveTransport } from '../src/server/socket-server.js';

const PROTO_ROOT = fileURLToPath(new URL('../proto/', import.meta.url));
const rpc = new protobuf.Root();
rpc.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(PROTO_ROOT, target));
rpc.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], { keepCase: true });
const Status = rpc.lookupType('google.rpc.Status');
const BadRequest = rpc.lookupType('google.rpc.BadRequest');
const ErrorInfo = rpc.lookupType('google.rpc.ErrorInfo');

interface DecodedStatus {
  code: number;
  message: string;
  details: { type_url: string; value: Uint8Array }[];
}

/** Decodes `grpc-status-details-bin` straight from the trailer bytes. */
function trailerOf(error: ServiceError): DecodedStatus | undefined {
  const raw = error.metadata.get('grpc-status-details-bin')[0];
  if (raw === undefined) return undefined;
  return Status.toObject(Status.decode(raw as Buffer), { arrays: true, defaults: true }) as DecodedStatus;
}

const failures: Record<string, () => Error> = {
  'etag-mismatch': () => new ETagMismatchError('stored etag is 7'),
  'etag-invalid': () => new ETagInvalidError('etag must be numeric'),
  kit: () => new KitError(ErrorCode.ResourceExhausted, 'quota exceeded', 429, 'QUOTA_EXCEEDED', 'acme.io', 'ERR_QUOTA'),
  boom: () => new Error('boom'),
  typed: () => new DaprkitError(ErrorCode.Aborted, 'aborted by backend'),
};

const failingStore = (): StateStore & TransactionalStore => ({
  async init() {},
  features: () => ['ETAG'],
  async get(request) {
    const fail = failures[request.key];
    if (fail) throw fail();
    return {};
  },
  async set(request) {
    const fail = failures[request.key];
    if (fail) throw fail();
  },
  async delete(request) {
    const fail = failures[request.key];
    if (fail) throw fail();
  },
  async bulkDelete(requests) {
    if (requests.some((r) => r.key === 'rows')) throw new BulkDeleteRowMismatchError(3, 1);
  },
  async transact() {
    throw new ETagMismatchError('not translated in transactions');
  },
});

const definition = defineComponent({
  kind: 'state',
  socketName: 'failing',
  types: [],
  packageName: 'test',
  version: '0',
  create: failingStore,
});
const pubsubDefinition = defineComponent({
  kind: 'pubsub',
  socketName: 'failing',
  types: [],
  packageName: 'test',
  version: '0',
  create: () => ({
    async init() {},
    features: () => [],
    async publish() {},
    async subscribe() {},
  }),
});

let server: TestServer;
let socket: string;
beforeAll(async () => {
  server = await startTestServer([definition, pubsubDefinition]);
  socket = server.socketPath();
  const client = createTestClient(socket);
  await client.state('e').init({});
  await client.pubsub('e').init({});
  await client.close();
});
afterAll(async () => {
  await server.close();
});

function raw<Res = unknown>(service: ServiceName, method: string, request: object) {
  const definition = methodDefinition<object, Res>(service, method);
  const client = new Client(`unix:${socket}`, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set('x-component-instance', 'e');
  return new Promise<ServiceError | undefined>((resolve) => {
    client.makeUnaryRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      request,
      metadata,
      (error) => {
        client.close();
        resolve(error ?? undefined);
      },
    );
  });
}

describe('status details on the wire', () => {
  it('ETag mismatch: FAILED_PRECONDITION, trailer repeats code and message, one BadRequest with one etag violation', async () => {
    const error = (await raw(ServiceName.StateStore, 'Set', { key: 'etag-mismatch' }))!;
    expect(error.code).toBe(9);
    expect(error.details).toBe('stored etag is 7');
    const status = trailerOf(error)!;
    expect(status.code).toBe(9);
    expect(status.message).toBe('stored etag is 7');
    expect(status.details).toHaveLength(1);
    expect(status.details[0]!.type_url).toBe('type.googleapis.com/google.rpc.BadRequest');
    const badRequest = BadRequest.toObject(BadRequest.decode(status.details[0]!.value), { arrays: true }) as {
      field_violations: { field: string; description: string }[];
    };
    expect(badRequest.field_violations).toEqual([{ field: 'etag', description: 'stored etag is 7' }]);
  });

  it('ETag invalid: INVALID_ARGUMENT with the same shape', async () => {
    const error = (await raw(ServiceName.StateStore, 'Delete', { key: 'etag-invalid' }))!;
    expect(error.code).toBe(3);
    const status = trailerOf(error)!;
    expect([status.code, status.message, status.details.length]).toEqual([3, 'etag must be numeric', 1]);
    expect(BadRequest.decode(status.details[0]!.value).toJSON()).toEqual({
      field_violations: [{ field: 'etag', description: 'etag must be numeric' }],
    });
  });

  it('a bulk write with an ETag failure among others is encoded as that ETag error, the message naming the keys', async () => {
    const error = (await raw(ServiceName.StateStore, 'BulkSet', {
      items: [{ key: 'fine' }, { key: 'boom' }, { key: 'etag-mismatch' }],
    }))!;
    expect(error.code).toBe(9);
    expect(error.details).toBe("failed on key 'boom': boom; failed on key 'etag-mismatch': stored etag is 7");
    const status = trailerOf(error)!;
    expect([status.code, status.message]).toEqual([9, error.details]);
    expect(status.details.map((d) => d.type_url)).toEqual(['type.googleapis.com/google.rpc.BadRequest']);
    expect(BadRequest.decode(status.details[0]!.value).toJSON()).toEqual({
      field_violations: [{ field: 'etag', description: error.details }],
    });
  });

  it('kit error: its code, one ErrorInfo with kit_error/http_code/tag, reason and domain', async () => {
    const error = (await raw(ServiceName.StateStore, 'Get', { key: 'kit' }))!;
    expect([error.code, error.details]).toEqual([8, 'quota exceeded']);
    const status = trailerOf(error)!;
    expect([status.code, status.message, status.details.length]).toEqual([8, 'quota exceeded', 1]);
    expect(status.details[0]!.type_url).toBe('type.googleapis.com/google.rpc.ErrorInfo');
    expect(ErrorInfo.decode(status.details[0]!.value).toJSON()).toEqual({
      reason: 'QUOTA_EXCEEDED',
      domain: 'acme.io',
      metadata: { kit_error: 'true', http_code: '429', tag: 'ERR_QUOTA' },
    });
  });

  it('bulk-delete row mismatch: INTERNAL with one ErrorInfo carrying expected/affected and no kit_error', async () => {
    const error = (await raw(ServiceName.StateStore, 'BulkDelete', { items: [{ key: 'rows' }, { key: 'x' }] }))!;
    expect([error.code, error.details]).toEqual([13, 'delete affected only 1 rows, expected 3']);
    const status = trailerOf(error)!;
    expect([status.code, status.message, status.details.length]).toEqual([13, error.details, 1]);
    const info = ErrorInfo.decode(status.details[0]!.value).toJSON() as { metadata: Record<string, string> };
    expect(info.metadata).toEqual({ expected: '3', affected: '1' });
  });

  it('plain and untyped errors carry no details trailer and never a stack', async () => {
    const unknown = (await raw(ServiceName.StateStore, 'Get', { key: 'boom' }))!;
    expect([unknown.code, unknown.details]).toEqual([2, 'boom']);
    expect(trailerOf(unknown)).toBeUndefined();
    const typed = (await raw(ServiceName.StateStore, 'Get', { key: 'typed' }))!;
    expect([typed.code, typed.details]).toEqual([10, 'aborted by backend']);
    expect(trailerOf(typed)).toBeUndefined();
  });
});

describe('the daprd-like client reads those statuses like daprd', () => {
  it('maps ETag, kit and row-mismatch statuses to typed errors only on the RPCs daprd maps them for', async () => {
    const client = createTestClient(socket);
    const store = client.state('e');
    await store.init({});
    const set = await store
      .set({ key: 'etag-mismatch', value: Buffer.alloc(0), metadata: {}, options: {} })
      .catch((e: unknown) => e);
    expect(set).toBeInstanceOf(ETagMismatchError);
    expect((set as Error).message).toBe('stored etag is 7');
    const invalid = await store.delete({ key: 'etag-invalid', metadata: {}, options: {} }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ETagInvalidError);
    // Get is not an ETag-mapped RPC: the status stays raw.
    const get = await store.get({ key: 'etag-mismatch', metadata: {} }).catch((e: unknown) => e);
    expect(get).not.toBeInstanceOf(ETagMismatchError);
    expect(get).toMatchObject({ code: 9, message: 'stored etag is 7' });
    const kit = await store.get({ key: 'kit', metadata: {} }).catch((e: unknown) => e);
    expect(kit).toBeInstanceOf(KitError);
    expect(kit).toMatchObject({
      code: 8,
      httpCode: 429,
      reason: 'QUOTA_EXCEEDED',
      domain: 'acme.io',
      tag: 'ERR_QUOTA',
    });
    const rows = await store
      .bulkDelete([
        { key: 'rows', metadata: {}, options: {} },
        { key: 'x', metadata: {}, options: {} },
      ])
      .catch((e: unknown) => e);
    expect(rows).toBeInstanceOf(RowMismatch);
    expect(rows).toMatchObject({ expected: 3, affected: 1 });
    // Transactions: no ETag translation (§4.3), the raw status comes through.
    await store.init({});
    const tx = await store.transact?.({ operations: [], metadata: {} }).catch((e: unknown) => e);
    expect(tx).not.toBeInstanceOf(ETagMismatchError);
    expect(tx).toMatchObject({ code: 9 });
    await client.close();
  });
});

describe('malformed input never takes the server down', () => {
  it('Transact with an operation carrying neither set nor delete is INVALID_ARGUMENT', async () => {
    const error = (await raw(ServiceName.TransactionalStateStore, 'Transact', {
      operations: [{ set: { key: 'a' } }, {}],
    }))!;
    expect(error.code).toBe(3);
    expect(error.details).toBe("transaction operation 1 has neither 'set' nor 'delete'");
  });

  it('garbage bytes (raw client, passthrough serializer) get a decode error, and the server keeps serving', async () => {
    const client = new Client(`unix:${socket}`, credentials.createInsecure());
    const metadata = new Metadata();
    metadata.set('x-component-instance', 'e');
    const send = (garbage: Buffer) =>
      new Promise<ServiceError | null>((resolve) =>
        client.makeUnaryRequest(
          `/${ServiceName.StateStore}/Set`,
          (b: Buffer) => b,
          (b: Buffer) => b,
          garbage,
          metadata,
          (err) => resolve(err),
        ),
      );
    // A `value` claiming 16 bytes with 1 present; then an unknown field with the invalid wire type 7.
    const truncated = await send(Buffer.from([0x12, 0x10, 0x61]));
    const badWireType = await send(Buffer.from([0x7f, 0x01]));
    client.close();
    if (resolveTransport() === 'grpc-js') {
      // grpc-js' own answer to an undecodable request.
      expect(truncated?.code).toBe(13);
      expect(truncated?.details).toMatch(/deserializ/i);
      expect(badWireType?.code).toBe(13);
    } else {
      // The daprkit engine: the client sent bad bytes, so INVALID_ARGUMENT naming the method and the decode failure.
      expect(truncated?.code).toBe(3);
      expect(truncated?.details).toMatch(
        /^cannot decode the request message of \/dapr\.proto\.components\.v1\.StateStore\/Set: .*(range|length)/i,
      );
      expect(badWireType?.code).toBe(3);
      expect(badWireType?.details).toMatch(/wire type 7/);
    }
    expect(await raw(ServiceName.StateStore, 'Get', { key: 'fine' })).toBeUndefined();
  });

  it('PullMessages whose first message lacks a topic ends with INVALID_ARGUMENT; an unknown instance with FAILED_PRECONDITION', async () => {
    const definition = methodDefinition<object, unknown>(ServiceName.PubSub, 'PullMessages');
    const client = new Client(`unix:${socket}`, credentials.createInsecure());
    const open = (instance: string) => {
      const metadata = new Metadata();
      metadata.set('x-component-instance', instance);
      const call = client.makeBidiStreamRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize,
        metadata,
      );
      return { call, status: new Promise<ServiceError>((resolve) => call.on('error', resolve)) };
    };
    const noTopic = open('e');
    noTopic.call.write({ ackMessageId: 'x' });
    const error = await noTopic.status;
    expect([error.code, error.details]).toEqual([3, 'the first PullMessages request must carry a topic']);
    const ghost = open('ghost');
    ghost.call.write({ topic: { name: 't' } });
    expect((await ghost.status).code).toBe(9);
    client.close();
    expect(await raw(ServiceName.StateStore, 'Get', { key: 'fine' })).toBeUndefined();
  });

  it('Invoke on an output binding and Pause on a pub/sub without support answer cleanly', async () => {
    const pause = (await raw(ServiceName.PubSub, 'Pause', {}))!;
    expect([pause.code, pause.details]).toEqual([12, 'this pub/sub instance does not support pause']);
    const bulk = (await raw(ServiceName.PubSub, 'BulkPublish', { entries: [] }))!;
    expect(bulk.code).toBe(12);
    // Services not registered on this socket are plain UNIMPLEMENTED from grpc-js.
    expect((await raw(ServiceName.OutputBinding, 'Invoke', { operation: 'x' }))!.code).toBe(12);
  });
});
