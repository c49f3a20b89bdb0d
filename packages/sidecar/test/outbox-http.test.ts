/**
 * Transactional outbox with in-memory components: the seed's order-processor example over HTTP (@dapr/dapr) and
 * gRPC, the internal event's daprd shape, projections, copied metadata, and failures that must publish nothing.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureSidecarBuilt,
  http,
  type SidecarProcess,
  startApp,
  startSidecarProcess,
  stopAllProcesses,
  waitFor,
} from './support.js';

const INTERNAL_TOPIC = 'defaultorder-processorordersoutbox';
let sidecar: SidecarProcess;
let client: DaprClient;
let grpcClient: DaprClient;
let app: Awaited<ReturnType<typeof startApp>>;

const ok = (_r: unknown, res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"status":"SUCCESS"}');
};
const received = (path: string) =>
  app.requests
    .filter((r) => r.method === 'POST' && r.url === path)
    .map((r) => JSON.parse(r.body) as Record<string, unknown>);
const transaction = (store: string, operations: unknown[]) =>
  http(sidecar.httpPort, 'POST', `/v1.0/state/${store}/transaction`, JSON.stringify({ operations }), {
    'content-type': 'application/json',
  });

function component(name: string, type: string, metadata: Record<string, string> = {}): string {
  const items = Object.entries(metadata).map(([k, v]) => `    - name: ${k}\n      value: "${v}"`);
  return `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: ${type}
  version: v1
  metadata:
${items.length > 0 ? items.join('\n') : '    []'}
`;
}

beforeAll(async () => {
  await ensureSidecarBuilt();
  app = await startApp({
    'GET /dapr/subscribe': (_r, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify([
          { pubsubname: 'orderpubsub', topic: 'orders', route: '/orders' },
          { pubsubname: 'orderpubsub', topic: INTERNAL_TOPIC, route: '/internal' },
          { pubsubname: 'orderpubsub', topic: 'patient-orders', route: '/patient-orders' },
        ]),
      );
    },
    '/orders': ok,
    '/internal': ok,
    '/patient-orders': ok,
  });
  const resources = await mkdtemp(join(tmpdir(), 'dk-outbox-'));
  await writeFile(
    join(resources, 'components.yaml'),
    [
      component('orderpubsub', 'pubsub.in-memory'),
      component('statestoresql', 'state.in-memory', {
        outboxPublishPubsub: 'orderpubsub',
        outboxPublishTopic: 'orders',
        outboxDiscardWhenMissingState: 'true',
        outboxMissingStateTimeout: '1s',
      }),
      // Default discard setting: a missing marker is redelivered a bounded number of times, then fenced.
      component('patientstore', 'state.in-memory', {
        outboxPublishPubsub: 'orderpubsub',
        outboxPublishTopic: 'patient-orders',
        outboxMissingStateTimeout: '300ms',
      }),
      component('brokenoutbox', 'state.in-memory', {
        outboxPublishPubsub: 'orderpubsub',
        outboxPublishTopic: 'elsewhere',
        outboxPubsub: 'nosuchpubsub',
      }),
    ].join('---\n'),
  );
  sidecar = await startSidecarProcess([
    '--app-id',
    'order-processor',
    '--app-port',
    String(app.port),
    '--resources-path',
    resources,
  ]);
  const options = { daprHost: '127.0.0.1', logger: { level: LogLevel.Error } };
  client = new DaprClient({
    ...options,
    daprPort: String(sidecar.httpPort),
    communicationProtocol: CommunicationProtocolEnum.HTTP,
  });
  grpcClient = new DaprClient({
    ...options,
    daprPort: String(sidecar.grpcPort),
    communicationProtocol: CommunicationProtocolEnum.GRPC,
  });
  await waitFor(async () => (await http(sidecar.httpPort, 'GET', '/v1.0/healthz')).status === 204, 10_000, 'ready');
});

afterAll(async () => {
  await client?.stop();
  await grpcClient?.stop();
  await stopAllProcesses();
  await app?.close();
});

describe('transactional outbox (in-memory components)', () => {
  it('saves the order and delivers {"orderId":1} on orders (seed example, HTTP)', async () => {
    await client.state.transaction('statestoresql', [
      {
        operation: 'upsert',
        request: { key: '1', value: { orderId: 1 }, metadata: { contentType: 'application/json' } },
      },
    ]);
    expect(await client.state.get('statestoresql', '1')).toEqual({ orderId: 1 });
    const event = await waitFor(() => received('/orders').find((e) => (e.data as { orderId?: number })?.orderId === 1));
    expect(event).toMatchObject({
      data: { orderId: 1 },
      datacontenttype: 'application/json',
      source: 'order-processor',
      type: 'com.dapr.event.sent',
      specversion: '1.0',
      topic: 'orders',
      pubsubname: 'orderpubsub',
    });
    expect(event.id).toMatch(/^outbox-[0-9a-f-]{36}$/);
    // The internal event carries the same id, an empty topic and the internal pub/sub (daprd's shape).
    const internal = received('/internal').find((e) => e.id === event.id);
    expect(internal).toMatchObject({ topic: '', pubsubname: 'orderpubsub', traceparent: '', data: { orderId: 1 } });
    // Operation metadata (here contentType) is copied onto the event top level, as daprd does.
    expect(Object.keys(internal!).sort()).toEqual([
      'contentType',
      'data',
      'datacontenttype',
      'id',
      'pubsubname',
      'source',
      'specversion',
      'time',
      'topic',
      'traceid',
      'traceparent',
      'tracestate',
      'type',
    ]);
  });

  it('publishes gRPC bytes as text/plain, as in the seed', async () => {
    await grpcClient.state.transaction('statestoresql', [
      { operation: 'upsert', request: { key: 'grpc-1', value: JSON.stringify({ orderId: 11 }) } },
    ]);
    const event = await waitFor(() => received('/orders').find((e) => e.data === '{"orderId":11}'));
    expect(event).toMatchObject({ datacontenttype: 'text/plain', source: 'order-processor', topic: 'orders' });
  });

  it('publishes a projection instead of the stored value and copies operation metadata onto the event', async () => {
    const response = await transaction('statestoresql', [
      {
        operation: 'upsert',
        request: {
          key: 'order-2',
          value: { orderId: 2, card: '4111-secret' },
          metadata: { 'outbox.cloudevent.myapp': 'x' },
        },
      },
      {
        operation: 'upsert',
        request: {
          key: 'order-2',
          value: { orderId: 2 },
          metadata: { 'outbox.projection': 'true', contentType: 'application/json' },
        },
      },
      { operation: 'delete', request: { key: 'nothing-to-publish' } },
    ]);
    expect(response.status).toBe(204);
    expect(await client.state.get('statestoresql', 'order-2')).toEqual({ orderId: 2, card: '4111-secret' });
    const event = await waitFor(() => received('/orders').find((e) => e['outbox.cloudevent.myapp'] === 'x'));
    expect(event.data).toEqual({ orderId: 2 });
    expect(event.datacontenttype).toBe('application/json');
  });

  it("formats an object without a JSON content type the way daprd does (Go's map notation)", async () => {
    await transaction('statestoresql', [
      { operation: 'upsert', request: { key: 'fmt', value: { b: [1, 'x'], a: true } } },
    ]);
    await waitFor(
      () => received('/orders').find((e) => e.data === 'map[a:true b:[1 x]]'),
      10_000,
      'Go-formatted event',
    );
  });

  it('publishes nothing to the final topic when the transaction fails (stale ETag)', async () => {
    await client.state.save('statestoresql', [{ key: 'stale', value: { v: 1 } }]);
    const response = await transaction('statestoresql', [
      {
        operation: 'upsert',
        request: {
          key: 'stale',
          value: { v: 'lost' },
          etag: 'not-the-etag',
          metadata: { contentType: 'application/json' },
        },
      },
    ]);
    expect(response.status).toBe(500);
    expect(response.json.errorCode).toBe('ERR_STATE_TRANSACTION');
    // The internal event went out before the commit failed…
    const internal = await waitFor(() => received('/internal').find((e) => (e.data as { v?: string })?.v === 'lost'));
    // …and the relay settles it as orphaned: a later event proves the relay moved past it without publishing it.
    await waitFor(() => sidecar.logs().includes(`"id":"${String(internal.id)}"`) || undefined, 10_000, 'discard log');
    await transaction('statestoresql', [{ operation: 'upsert', request: { key: 'after', value: 'after-stale' } }]);
    await waitFor(() => received('/orders').find((e) => e.data === 'after-stale'));
    expect(received('/orders').some((e) => e.id === internal.id)).toBe(false);
    expect(await client.state.get('statestoresql', 'stale')).toEqual({ v: 1 });
  });

  it('bounds redelivery of an orphan without outboxDiscardWhenMissingState, then delivers later events', async () => {
    await client.state.save('patientstore', [{ key: 'p', value: 1 }]);
    const failed = await transaction('patientstore', [
      { operation: 'upsert', request: { key: 'p', value: 'orphan', etag: 'wrong' } },
    ]);
    expect(failed.status).toBe(500);
    await transaction('patientstore', [{ operation: 'upsert', request: { key: 'p2', value: 'committed' } }]);
    await waitFor(() => received('/patient-orders').find((e) => e.data === 'committed'), 20_000, 'event after orphan');
    expect(received('/patient-orders').map((e) => e.data)).toEqual(['committed']);
    expect(sidecar.logs()).toMatch(/outbox: marker not found yet; asking for redelivery.*"delivery":2/);
  });

  it('fails with ERR_PUBLISH_OUTBOX and writes nothing when the internal publish fails', async () => {
    const response = await transaction('brokenoutbox', [{ operation: 'upsert', request: { key: 'k', value: 1 } }]);
    expect(response.status).toBe(500);
    expect(response.json).toMatchObject({
      errorCode: 'ERR_PUBLISH_OUTBOX',
      message: "error while publishing outbox message: pubsub 'nosuchpubsub' not found",
      details: [{ reason: 'DAPR_PUBSUB_OUTBOX', metadata: { appID: 'order-processor' } }],
    });
    expect(await client.state.get('brokenoutbox', 'k')).toBe('');
  });
});
