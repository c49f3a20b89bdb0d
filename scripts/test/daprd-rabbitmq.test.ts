/**
 * RabbitMQ behind a real daprd 1.16: @daprkit/pubsub-rabbitmq and @daprkit/bindings-rabbitmq run from their bins on
 * sockets and daprd loads them from YAML. Then one app with two replicas: a daprd with its built-in (contrib)
 * `pubsub.rabbitmq` and a daprd with our plugin, same app ID, same broker — they compete on one queue
 * (`<appId>-<topic>`), so every message, published through either, reaches the app exactly once.
 * No daprd, package not built or broker unreachable: skipped with the reason locally, a failure with CI=true.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PluginProcess, startPluginProcess } from '@daprkit/component-sdk/testing';
import { RABBITMQ_URL, RabbitAdmin, rabbitmqUnreachable } from '@daprkit/rabbitmq-common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { componentYaml, type Daprd, daprdMissing, REPO_ROOT, startDaprd, startRecordingApp } from './daprd-support.js';

const PACKAGES = ['pubsub-rabbitmq', 'bindings-rabbitmq'];
const missing = daprdMissing(PACKAGES) ?? (await rabbitmqUnreachable());
if (missing !== undefined && process.env.CI === 'true') throw new Error(`daprd RabbitMQ tests: ${missing}`);
const suite = missing === undefined ? describe : describe.skip;

const run = randomUUID().slice(0, 8);
const appId = `rmq-app-${run}`;
const topic = `orders-${run}`;
const queue = `${appId}-${topic}`;
const bindingQueue = `rmq-binding-${run}`;
type App = Awaited<ReturnType<typeof startRecordingApp>>;

suite(`daprd 1.16 with the RabbitMQ plugins${missing ? ` (SKIPPED: ${missing})` : ''}`, () => {
  const plugins: PluginProcess[] = [];
  let ours: Daprd; // daprd + our plugins
  let theirs: Daprd; // daprd + contrib's built-in pubsub.rabbitmq
  let appOurs: App;
  let appTheirs: App;

  beforeAll(async () => {
    const sockets = await mkdtemp('/tmp/dk-daprd-rmq-');
    const bin = (pkg: string) => join(REPO_ROOT, 'packages', pkg, 'bin', `daprkit-${pkg}.js`);
    plugins.push(
      ...(await Promise.all([
        startPluginProcess(bin('pubsub-rabbitmq'), join(sockets, 'dk-rabbitmq-pubsub.sock')),
        startPluginProcess(bin('bindings-rabbitmq'), join(sockets, 'dk-rabbitmq-bindings.sock')),
      ])),
    );
    const subscriptions = [{ pubsubname: 'orders', topic, route: '/orders' }];
    [appOurs, appTheirs] = await Promise.all([startRecordingApp(subscriptions), startRecordingApp(subscriptions)]);
    // Same metadata for both replicas; consumerID left to daprd (the app ID), every flag at its default.
    const pubsubMetadata = { connectionString: RABBITMQ_URL };
    const [resOurs, resTheirs] = [await mkdtemp('/tmp/dk-daprd-rmq-res-'), await mkdtemp('/tmp/dk-daprd-rmq-res-')];
    await writeFile(
      join(resOurs, 'components.yaml'),
      [
        componentYaml('orders', 'pubsub.dk-rabbitmq-pubsub', pubsubMetadata),
        componentYaml('rmq-binding', 'bindings.dk-rabbitmq-bindings', {
          host: RABBITMQ_URL,
          queueName: bindingQueue,
          deleteWhenUnused: 'true',
          maxPriority: '5',
          ttlInSeconds: '60',
        }),
      ].join('---\n'),
    );
    await writeFile(join(resTheirs, 'components.yaml'), componentYaml('orders', 'pubsub.rabbitmq', pubsubMetadata));
    [ours, theirs] = await Promise.all([
      startDaprd({ appId, appPort: appOurs.port, resourcesPath: resOurs, socketsFolder: sockets }),
      startDaprd({ appId, appPort: appTheirs.port, resourcesPath: resTheirs, socketsFolder: join(sockets, 'none') }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([ours?.stop(), theirs?.stop()]);
    await Promise.all(plugins.map((p) => p.kill()));
    await Promise.all([appOurs?.close(), appTheirs?.close()]);
    const admin = await RabbitAdmin.open().catch(() => undefined);
    await admin?.remove({ queues: [queue, bindingQueue], exchanges: [topic] });
    await admin?.close();
  });

  it('loads both plugins: pub/sub and the binding (input and output) in the metadata API', async () => {
    const components = (await ours.api('GET', '/v1.0/metadata')).json.components as { name: string; type: string }[];
    expect(components.map((c) => `${c.name}=${c.type}`)).toEqual(
      expect.arrayContaining(['orders=pubsub.dk-rabbitmq-pubsub', 'rmq-binding=bindings.dk-rabbitmq-bindings']),
    );
  });

  it('binding: an output invoke reaches the app through the input side of the same queue, metadata as headers', async () => {
    const response = await ours.api('POST', '/v1.0/bindings/rmq-binding', {
      operation: 'create',
      data: { order: 7 },
      metadata: { 'x-origin': 'daprd-test' },
    });
    expect(response.status, response.text).toBeLessThan(300);
    const delivered = await ours.waitFor(
      () => appOurs.deliveries.find((d) => d.path === '/rmq-binding'),
      'the binding event at /rmq-binding',
    );
    expect(delivered.body).toEqual({ order: 7 });
    expect(delivered.headers['x-origin']).toBe('daprd-test');
  });

  it("a daprd replica (contrib's pubsub.rabbitmq) and a daprkit replica share the app's queue: every message once", async () => {
    const count = 40;
    // Both replicas declare `<appId>-<topic>` the same way (a mismatch would be PRECONDITION_FAILED): wait for both.
    const admin = await RabbitAdmin.open();
    try {
      await ours.waitFor(
        async () => (((await admin.queue(queue))?.consumerCount ?? 0) >= 2 ? true : undefined),
        'two consumers on the shared queue',
        30_000,
      );
    } finally {
      await admin.close();
    }
    for (let n = 0; n < count; n++) {
      const via = n % 2 === 0 ? ours : theirs;
      expect((await via.api('POST', `/v1.0/publish/orders/${topic}`, { n })).status).toBe(204);
    }
    const received = () => [...appOurs.deliveries, ...appTheirs.deliveries].filter((d) => d.path === '/orders');
    await ours.waitFor(() => (received().length >= count ? true : undefined), `${count} deliveries`, 30_000);
    await new Promise((r) => setTimeout(r, 500)); // late duplicates would show here
    const ns = received().map((d) => (d.body.data as { n: number }).n);
    expect(ns.sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, n) => n));
    const ourShare = appOurs.deliveries.filter((d) => d.path === '/orders').length;
    const theirShare = appTheirs.deliveries.filter((d) => d.path === '/orders').length;
    // Competing consumers: the broker hands messages to both replicas.
    expect(ourShare).toBeGreaterThan(0);
    expect(theirShare).toBeGreaterThan(0);
    const sample = received()[0]!.body;
    expect(sample).toMatchObject({ topic, pubsubname: 'orders', datacontenttype: 'application/json' });
  }, 90_000);
});
