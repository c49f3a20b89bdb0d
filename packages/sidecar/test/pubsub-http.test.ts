/**
 * Publish with @dapr/dapr, delivery to a node:http app over HTTP: programmatic and declarative subscriptions,
 * CloudEvent envelopes, RETRY → redelivery, DROP → dead-letter topic, bulk publish, routing rules, app token.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureSidecarBuilt,
  http,
  type Recorded,
  type SidecarProcess,
  startApp,
  startSidecarProcess,
  stopAllProcesses,
  waitFor,
} from './support.js';

let sidecar: SidecarProcess;
let client: DaprClient;
let app: Awaited<ReturnType<typeof startApp>>;
let retryAttempts = 0;

const json = (body: unknown) => (_r: Recorded, res: import('node:http').ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const events = (path: string) =>
  app.requests
    .filter((r) => r.method === 'POST' && r.url === path)
    .map((r) => JSON.parse(r.body) as Record<string, unknown>);

beforeAll(async () => {
  await ensureSidecarBuilt();
  app = await startApp({
    'GET /dapr/subscribe': json([
      { pubsubname: 'pubsub', topic: 'orders', route: '/orders' },
      { pubsubname: 'pubsub', topic: 'flaky', route: '/flaky' },
      { pubsubname: 'pubsub', topic: 'poison', route: '/poison', deadLetterTopic: 'poison-dlq' },
      { pubsubname: 'pubsub', topic: 'poison-dlq', route: '/dlq' },
      {
        pubsubname: 'pubsub',
        topic: 'widgets',
        routes: { rules: [{ match: 'event.type == "widget.big"', path: '/big' }], default: '/widgets' },
      },
      { pubsubname: 'pubsub', topic: 'raw', route: '/raw', metadata: { rawPayload: 'true' } },
    ]),
    '/orders': json({ status: 'SUCCESS' }),
    '/flaky': (_r, res) => {
      retryAttempts++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: retryAttempts < 3 ? 'RETRY' : 'SUCCESS' }));
    },
    '/poison': json({ status: 'DROP' }),
    '/dlq': json({}),
    '/big': json({}),
    '/widgets': json({}),
    '/raw': json({}),
    '/declared': json({}),
  });
  const resources = await mkdtemp(join(tmpdir(), 'dk-sidecar-res-'));
  await writeFile(
    join(resources, 'components.yaml'),
    `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pubsub
spec:
  type: pubsub.in-memory
  version: v1
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
spec:
  type: state.in-memory
  version: v1
---
apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: declared
spec:
  pubsubname: pubsub
  topic: declared-topic
  routes:
    default: /declared
`,
  );
  sidecar = await startSidecarProcess(
    ['--app-id', 'shop', '--app-port', String(app.port), '--resources-path', resources],
    { APP_API_TOKEN: 'app-secret' },
  );
  client = new DaprClient({
    daprHost: '127.0.0.1',
    daprPort: String(sidecar.httpPort),
    communicationProtocol: CommunicationProtocolEnum.HTTP,
    logger: { level: LogLevel.Error },
  });
  await waitFor(
    async () => (await http(sidecar.httpPort, 'GET', '/v1.0/healthz')).status === 204,
    10_000,
    'sidecar ready',
  );
});

afterAll(async () => {
  await client?.stop();
  await stopAllProcesses();
  await app?.close();
});

describe('publish and subscribe over HTTP', () => {
  it('asks the app for subscriptions and lists them with the declarative one in metadata', async () => {
    expect(app.requests.some((r) => r.url === '/dapr/subscribe')).toBe(true);
    // The runtime's metadata carries `subscriptions`; @dapr/dapr 3.18's GetMetadataResponse type omits the field.
    const metadata = (await client.metadata.get()) as unknown as { subscriptions: { topic: string; type?: string }[] };
    const subscriptions = metadata.subscriptions.map((s) => `${s.topic}:${s.type}`);
    expect(subscriptions).toEqual(expect.arrayContaining(['orders:PROGRAMMATIC', 'declared-topic:DECLARATIVE']));
  });

  it('delivers a JSON event in a CloudEvent envelope with pubsubname header and the app token', async () => {
    await client.pubsub.publish('pubsub', 'orders', { orderId: 7 });
    const [event] = await waitFor(
      () => (events('/orders').length > 0 ? events('/orders') : undefined),
      5000,
      'order delivery',
    );
    expect(event).toMatchObject({
      data: { orderId: 7 },
      datacontenttype: 'application/json',
      source: 'shop',
      type: 'com.dapr.event.sent',
      specversion: '1.0',
      topic: 'orders',
      pubsubname: 'pubsub',
    });
    expect(typeof event!.id).toBe('string');
    const request = app.requests.find((r) => r.url === '/orders')!;
    expect(request.headers['content-type']).toBe('application/cloudevents+json');
    expect(request.headers.pubsubname).toBe('pubsub');
    expect(request.headers['dapr-api-token']).toBe('app-secret');
  });

  it('passes a caller CloudEvent through, keeping id and source', async () => {
    await client.pubsub.publish('pubsub', 'orders', {
      id: 'my-id',
      source: 'elsewhere',
      type: 'custom.type',
      specversion: '1.0',
      data: 'inner',
    });
    const event = await waitFor(() => events('/orders').find((e) => e.id === 'my-id'), 5000, 'passthrough event');
    expect(event).toMatchObject({
      source: 'elsewhere',
      type: 'custom.type',
      data: 'inner',
      topic: 'orders',
      pubsubname: 'pubsub',
    });
  });

  it('redelivers after RETRY until the app succeeds', async () => {
    await client.pubsub.publish('pubsub', 'flaky', 'please retry');
    await waitFor(() => (retryAttempts >= 3 ? true : undefined), 15_000, 'three delivery attempts');
    expect(events('/flaky').map((e) => e.data)).toEqual(['please retry', 'please retry', 'please retry']);
  });

  it('sends a DROPped message to the dead-letter topic', async () => {
    await client.pubsub.publish('pubsub', 'poison', { bad: true });
    const dead = await waitFor(() => events('/dlq')[0], 5000, 'dead-letter delivery');
    expect(dead).toMatchObject({ data: { bad: true }, topic: 'poison' });
  });

  it('routes by rule and falls back to the default route', async () => {
    await http(
      sidecar.httpPort,
      'POST',
      '/v1.0/publish/pubsub/widgets?metadata.cloudevent.type=widget.big',
      '{"size":9}',
      { 'content-type': 'application/json' },
    );
    await client.pubsub.publish('pubsub', 'widgets', { size: 1 });
    await waitFor(
      () => (events('/big').length === 1 && events('/widgets').length === 1 ? true : undefined),
      5000,
      'routed events',
    );
    expect(events('/big')[0]!.data).toEqual({ size: 9 });
    expect(events('/widgets')[0]!.data).toEqual({ size: 1 });
  });

  it('wraps raw payloads for rawPayload subscriptions', async () => {
    await http(sidecar.httpPort, 'POST', '/v1.0/publish/pubsub/raw?metadata.rawPayload=true', 'plain bytes', {
      'content-type': 'text/plain',
    });
    const event = await waitFor(() => events('/raw')[0], 5000, 'raw delivery');
    expect(Buffer.from(String(event.data_base64), 'base64').toString()).toBe('plain bytes');
  });

  it('delivers declarative subscriptions and bulk-published events', async () => {
    const response = await client.pubsub.publishBulk('pubsub', 'declared-topic', [
      { a: 1 },
      'two',
      { entryID: 'x', event: { c: 3 }, contentType: 'application/json' },
    ]);
    expect(response.failedMessages).toEqual([]);
    await waitFor(() => (events('/declared').length === 3 ? true : undefined), 5000, 'bulk deliveries');
    expect(events('/declared').map((e) => e.data)).toEqual(expect.arrayContaining([{ a: 1 }, 'two', { c: 3 }]));
  });

  it('rejects invalid bulk entries and rawPayload values', async () => {
    const duplicate = await http(
      sidecar.httpPort,
      'POST',
      '/v1.0-alpha1/publish/bulk/pubsub/orders',
      '[{"entryId":"1","event":"a","contentType":"text/plain"},{"entryId":"1","event":"b","contentType":"text/plain"}]',
      {
        'content-type': 'application/json',
      },
    );
    expect(duplicate.status).toBe(400);
    expect(duplicate.json.errorCode).toBe('ERR_PUBSUB_EVENTS_SER');
    const raw = await http(sidecar.httpPort, 'POST', '/v1.0/publish/pubsub/orders?metadata.rawPayload=maybe', 'x');
    expect(raw.status).toBe(400);
    expect(raw.json.errorCode).toBe('ERR_PUBSUB_REQUEST_METADATA');
  });
});
