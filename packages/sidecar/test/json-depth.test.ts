// Issue 21 item 5: JSON nested beyond Go's limit (10,000 levels) is refused as daprd refuses it, never a 500
// "Maximum call stack size exceeded"; up to the limit it is accepted and re-encoded (iteratively).
import { fileURLToPath } from 'node:url';
import { credentials, loadPackageDefinition, Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReliabilityResources } from './reliability-resources.js';
import { ensureSidecarBuilt, http, type SidecarProcess, startSidecarProcess, stopAllProcesses } from './support.js';

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const TOO_DEEP = nested(10_001);
// The limit counts the whole document: `[{"key":…,"value":V}]` is V's depth plus 2.
const DEEPEST_VALUE = nested(9_998);

let sidecar: SidecarProcess;
type Unary = (
  request: unknown,
  metadata: Metadata,
  callback: (error: ServiceError | null, reply: unknown) => void,
) => void;
let grpc: Record<string, Unary> & { close(): void };

function call(method: string, request: unknown): Promise<{ error: ServiceError | null; reply: unknown }> {
  return new Promise((resolve) => grpc[method]!(request, new Metadata(), (error, reply) => resolve({ error, reply })));
}

beforeAll(async () => {
  await ensureSidecarBuilt();
  sidecar = await startSidecarProcess([
    '--app-id',
    'json-depth',
    '--resources-path',
    await writeReliabilityResources(),
  ]);
  const proto = loadPackageDefinition(
    loadSync('dapr/proto/runtime/v1/dapr.proto', {
      includeDirs: [fileURLToPath(new URL('../proto/', import.meta.url))],
      keepCase: true,
      defaults: true,
    }),
  ) as unknown as { dapr: { proto: { runtime: { v1: { Dapr: new (a: string, c: unknown) => typeof grpc } } } } };
  grpc = new proto.dapr.proto.runtime.v1.Dapr(`127.0.0.1:${sidecar.grpcPort}`, credentials.createInsecure());
});

afterAll(async () => {
  grpc?.close();
  await stopAllProcesses();
});

const expect400 = (response: { status: number; json: Record<string, unknown> }, errorCode: string) => {
  expect(response.status, JSON.stringify(response.json)).toBe(400);
  expect(response.json.errorCode).toBe(errorCode);
  expect(String(response.json.message)).toMatch(/exceeded max depth/);
};

describe('HTTP: JSON nested deeper than 10,000 levels', () => {
  const port = () => sidecar.httpPort;

  it('state save, transaction and bindings answer 400 ERR_MALFORMED_REQUEST', async () => {
    expect400(
      await http(port(), 'POST', '/v1.0/state/statestore', `[{"key":"k","value":${TOO_DEEP}}]`),
      'ERR_MALFORMED_REQUEST',
    );
    const operations = `{"operations":[{"operation":"upsert","request":{"key":"k","value":${TOO_DEEP}}}]}`;
    expect400(await http(port(), 'POST', '/v1.0/state/statestore/transaction', operations), 'ERR_MALFORMED_REQUEST');
    const binding = `{"operation":"create","data":${TOO_DEEP},"metadata":{"fileName":"deep.json"}}`;
    expect400(await http(port(), 'POST', '/v1.0/bindings/files', binding), 'ERR_MALFORMED_REQUEST');
    expect400(
      await http(port(), 'POST', '/v1.0/state/statestore/bulk', `{"keys":${TOO_DEEP}}`),
      'ERR_MALFORMED_REQUEST',
    );
  });

  it('bulk publish answers 400 ERR_PUBSUB_EVENTS_SER (daprd: UnmarshalEvents)', async () => {
    const body = `[{"entryId":"1","event":${TOO_DEEP},"contentType":"application/json"}]`;
    expect400(await http(port(), 'POST', '/v1.0-alpha1/publish/bulk/pubsub/deep', body), 'ERR_PUBSUB_EVENTS_SER');
  });

  it('bulk publish: a non-string contentType is an unmarshal error (found by the fuzz test: was a stack overflow)', async () => {
    const body = `[{"entryId":"1","event":{"a":1},"contentType":${nested(9_990)}}]`;
    const response = await http(port(), 'POST', '/v1.0-alpha1/publish/bulk/pubsub/deep', body);
    expect(response.status).toBe(400);
    expect(response.json.errorCode).toBe('ERR_PUBSUB_EVENTS_SER');
    expect(String(response.json.message)).toMatch(/contentType must be a string/);
  });

  it('publish: a too-deep JSON payload is carried as a string (daprd); a too-deep CloudEvent is refused', async () => {
    const json = { 'content-type': 'application/json' };
    expect((await http(port(), 'POST', '/v1.0/publish/pubsub/deep', TOO_DEEP, json)).status).toBe(204);
    const ce = await http(port(), 'POST', '/v1.0/publish/pubsub/deep', `{"id":"1","data":${TOO_DEEP}}`, {
      'content-type': 'application/cloudevents+json',
    });
    // daprd's own status for a CloudEvent it cannot decode (CloudEventCreation: HTTP 500, gRPC InvalidArgument).
    expect(ce.status).toBe(500);
    expect(ce.json.errorCode).toBe('ERR_PUBSUB_CLOUD_EVENTS_SER');
  });

  it('accepts documents of exactly 10,000 levels and stores them re-encoded', async () => {
    expect(
      (await http(port(), 'POST', '/v1.0/state/statestore', `[{"key":"deepest","value":${DEEPEST_VALUE}}]`)).status,
    ).toBe(204);
    const read = await http(port(), 'GET', '/v1.0/state/statestore/deepest');
    expect(read.status).toBe(200);
    expect(read.text).toBe(DEEPEST_VALUE);
    const ce = `{"id":"1","source":"s","type":"t","specversion":"1.0","data":${nested(9_999)}}`;
    const headers = { 'content-type': 'application/cloudevents+json' };
    expect((await http(port(), 'POST', '/v1.0/publish/pubsub/deepest', ce, headers)).status).toBe(204);
    const entries = `[{"entryId":"1","event":${nested(9_998)},"contentType":"application/json"}]`;
    expect((await http(port(), 'POST', '/v1.0-alpha1/publish/bulk/pubsub/deepest', entries)).status).toBe(204);
  });
});

describe('gRPC: JSON nested deeper than 10,000 levels', () => {
  it('SaveState with contentType application/json answers INVALID_ARGUMENT', async () => {
    const { error } = await call('SaveState', {
      store_name: 'statestore',
      states: [{ key: 'k', value: Buffer.from(TOO_DEEP), metadata: { contentType: 'application/json' } }],
    });
    expect(error?.code).toBe(3);
    expect(error?.details).toMatch(/exceeded max depth/);
  });

  it('PublishEvent of a too-deep CloudEvent answers INVALID_ARGUMENT; a too-deep JSON payload is accepted', async () => {
    const ce = await call('PublishEvent', {
      pubsub_name: 'pubsub',
      topic: 'deep',
      data: Buffer.from(`{"id":"1","data":${TOO_DEEP}}`),
      data_content_type: 'application/cloudevents+json',
    });
    expect(ce.error?.code).toBe(3);
    const json = await call('PublishEvent', {
      pubsub_name: 'pubsub',
      topic: 'deep',
      data: Buffer.from(TOO_DEEP),
      data_content_type: 'application/json',
    });
    expect(json.error).toBeNull();
  });

  it('QueryStateAlpha1 with a too-deep query answers a clear error, not INTERNAL from a stack overflow', async () => {
    const { error } = await call('QueryStateAlpha1', { store_name: 'statestore', query: `{"filter":${TOO_DEEP}}` });
    expect(error).not.toBeNull();
    expect(error?.details).not.toMatch(/call stack/);
  });
});
