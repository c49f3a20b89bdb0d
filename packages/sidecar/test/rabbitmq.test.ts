/**
 * The sidecar with RabbitMQ in process (`pubsub.rabbitmq` from @daprkit/pubsub-rabbitmq, `bindings.rabbitmq` from
 * @daprkit/bindings-rabbitmq), from contrib-style YAML: publish over HTTP reaches the app as a CloudEvent, an app
 * answering RETRY gets the message again (requeueInFailure), and a binding invoke comes back through the input side.
 * Skipped without the broker locally; fails with CI=true.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDescribeWithRabbitMQ, RABBITMQ_URL, RabbitAdmin } from '@daprkit/rabbitmq-common/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
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

const describeWithRabbitMQ = await createDescribeWithRabbitMQ();
const post = (port: number, path: string, body: unknown) =>
  http(port, 'POST', path, JSON.stringify(body), { 'content-type': 'application/json' });
const run = randomUUID().slice(0, 8);
const appId = `sidecar-rmq-${run}`;
const topic = `orders-${run}`;
const flaky = `flaky-${run}`;
const bindingQueue = `sidecar-rmq-binding-${run}`;

describeWithRabbitMQ('sidecar with pubsub.rabbitmq and bindings.rabbitmq in process', () => {
  let sidecar: SidecarProcess;
  let app: Awaited<ReturnType<typeof startApp>>;
  let attempts = 0;
  const json = (body: unknown) => (_r: Recorded, res: import('node:http').ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  beforeAll(async () => {
    await ensureSidecarBuilt(['packages/pubsub-rabbitmq', 'packages/bindings-rabbitmq']);
    app = await startApp({
      'GET /dapr/subscribe': json([
        { pubsubname: 'pubsub', topic, route: '/orders' },
        { pubsubname: 'pubsub', topic: flaky, route: '/flaky' },
      ]),
      '/orders': json({ status: 'SUCCESS' }),
      '/flaky': (_r, res) => {
        attempts++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: attempts < 3 ? 'RETRY' : 'SUCCESS' }));
      },
      '/jobs': json({}),
      'OPTIONS /jobs': json({}),
    });
    const resources = await mkdtemp(join(tmpdir(), 'dk-sidecar-rmq-'));
    await writeFile(
      join(resources, 'components.yaml'),
      `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pubsub
spec:
  type: pubsub.rabbitmq
  version: v1
  metadata:
    - name: connectionString
      value: "${RABBITMQ_URL}"
    - name: requeueInFailure
      value: "true"
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: jobs
spec:
  type: bindings.rabbitmq
  version: v1
  metadata:
    - name: host
      value: "${RABBITMQ_URL}"
    - name: queueName
      value: "${bindingQueue}"
    - name: deleteWhenUnused
      value: "true"
`,
    );
    sidecar = await startSidecarProcess([
      '--app-id',
      appId,
      '--app-port',
      String(app.port),
      '--resources-path',
      resources,
    ]);
  }, 120_000);

  afterAll(async () => {
    await stopAllProcesses();
    await app?.close();
    const admin = await RabbitAdmin.open().catch(() => undefined);
    await admin?.remove({
      queues: [`${appId}-${topic}`, `${appId}-${flaky}`, bindingQueue],
      exchanges: [topic, flaky],
    });
    await admin?.close();
  });

  const posted = (path: string) => app.requests.filter((r) => r.method === 'POST' && r.url === path);

  it('publish reaches the app as a CloudEvent, through the queue <appId>-<topic>', async () => {
    const admin = await RabbitAdmin.open();
    try {
      await waitFor(async () => ((await admin.queue(`${appId}-${topic}`))?.consumerCount ?? 0) > 0, 20_000, 'consumer');
    } finally {
      await admin.close();
    }
    const response = await post(sidecar.httpPort, `/v1.0/publish/pubsub/${topic}`, { order: 1 });
    expect(response.status).toBe(204);
    await waitFor(() => posted('/orders').length === 1, 20_000, 'the event');
    expect(JSON.parse(posted('/orders')[0]!.body)).toMatchObject({ topic, pubsubname: 'pubsub', data: { order: 1 } });
  });

  it('an app answering RETRY gets the message again', async () => {
    await waitFor(
      async () => {
        if (posted('/flaky').length > 0) return true;
        await post(sidecar.httpPort, `/v1.0/publish/pubsub/${flaky}`, { n: 1 });
        await new Promise((r) => setTimeout(r, 300));
        return false;
      },
      20_000,
      'a first delivery',
    );
    await waitFor(() => attempts >= 3, 20_000, 'three attempts');
  });

  it('a binding invoke comes back through the input side of the same queue', async () => {
    const response = await post(sidecar.httpPort, '/v1.0/bindings/jobs', {
      operation: 'create',
      data: { job: 42 },
      metadata: { origin: 'sidecar-test' },
    });
    expect(response.status).toBeLessThan(300);
    await waitFor(() => posted('/jobs').length === 1, 20_000, 'the binding event');
    expect(JSON.parse(posted('/jobs')[0]!.body)).toEqual({ job: 42 });
  });
});
