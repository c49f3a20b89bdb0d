/**
 * MQTT (and NATS JetStream) packages as plugins next to a real daprd 1.16, and sharing their broker with daprd's own
 * built-in components: our pub/sub and bindings run from their bins on sockets, daprd loads them from YAML next to
 * `pubsub.mqtt3` / `bindings.mqtt3` / `pubsub.jetstream` of its own on the same broker, and we use daprd's HTTP API
 * as an app would. The beta built-ins need the `extra` daprd build (DAPRD_EXTRA, scripts/daprd.sh).
 * Unreachable broker or no daprd: skipped with the reason locally, a failure with CI=true.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PluginProcess, startPluginProcess } from '@daprkit/component-sdk/testing';
import { MQTT_URL, mqttUnreachable } from '@daprkit/mqtt-common/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  componentYaml,
  DAPRD_EXTRA,
  type Daprd,
  daprdMissing,
  REPO_ROOT,
  startDaprd,
  startRecordingApp,
} from './daprd-support.js';

const MQTT_PACKAGES = ['pubsub-mqtt3', 'bindings-mqtt3'];
const mqttSkip = daprdMissing(MQTT_PACKAGES, DAPRD_EXTRA) ?? (await mqttUnreachable());
if (mqttSkip !== undefined && process.env.CI === 'true') throw new Error(mqttSkip);
const mqttSuite = mqttSkip === undefined ? describe : describe.skip;

const run = randomUUID().slice(0, 8);
const bin = (pkg: string) => join(REPO_ROOT, 'packages', pkg, 'bin', `daprkit-${pkg}.js`);

mqttSuite(`daprd with the MQTT packages as plugins${mqttSkip ? ` (SKIPPED: ${mqttSkip})` : ''}`, () => {
  const topic = `interop/mqtt/${run}`;
  const bindingTopic = `interop/mqtt-binding/${run}`;
  let daprd: Daprd;
  let app: Awaited<ReturnType<typeof startRecordingApp>>;
  const plugins: PluginProcess[] = [];

  beforeAll(async () => {
    const sockets = await mkdtemp('/tmp/dk-daprd-mqtt-');
    plugins.push(
      ...(await Promise.all([
        startPluginProcess(bin('pubsub-mqtt3'), join(sockets, 'dk-mqtt-pubsub.sock')),
        startPluginProcess(bin('bindings-mqtt3'), join(sockets, 'dk-mqtt-bindings.sock')),
      ])),
    );
    // One app subscribed to the same topic through both pub/subs (ours and daprd's built-in one).
    app = await startRecordingApp([
      { pubsubname: 'mqtt-daprkit', topic, route: '/via-daprkit' },
      { pubsubname: 'mqtt-builtin', topic, route: '/via-builtin' },
    ]);
    // Replicas sharing a broker need distinct MQTT client IDs (consumerID is the client ID, card P.2).
    const pubsub = (consumerID: string) => ({ url: MQTT_URL, consumerID, qos: '1', cleanSession: 'false' });
    const binding = (consumerID: string) => ({ url: MQTT_URL, consumerID, topic: bindingTopic });
    const resources = await mkdtemp('/tmp/dk-daprd-mqtt-res-');
    await writeFile(
      join(resources, 'components.yaml'),
      [
        componentYaml('mqtt-daprkit', 'pubsub.dk-mqtt-pubsub', pubsub(`dk-${run}`)),
        componentYaml('mqtt-builtin', 'pubsub.mqtt3', pubsub(`go-${run}`)),
        // Our input binding (delivers to POST /mqtt-in) and output binding, and daprd's built-in pair (bindings.mqtt3
        // is beta upstream: the `extra` daprd build), all on one topic.
        componentYaml('mqtt-in', 'bindings.dk-mqtt-bindings', { ...binding(`dk-in-${run}`), direction: 'input' }),
        componentYaml('mqtt-out', 'bindings.dk-mqtt-bindings', { ...binding(`dk-out-${run}`), direction: 'output' }),
        componentYaml('mqtt-builtin-in', 'bindings.mqtt3', { ...binding(`go-in-${run}`), direction: 'input' }),
        componentYaml('mqtt-builtin-out', 'bindings.mqtt3', { ...binding(`go-out-${run}`), direction: 'output' }),
      ].join('---\n'),
    );
    daprd = await startDaprd({
      binary: DAPRD_EXTRA,
      appId: `daprd-mqtt-${run}`,
      appPort: app.port,
      resourcesPath: resources,
      socketsFolder: sockets,
    });
  }, 120_000);

  afterAll(async () => {
    await daprd?.stop();
    await Promise.all(plugins.map((p) => p.kill()));
    await app?.close();
  });

  const delivered = (route: string, marker: string) =>
    app.deliveries.filter((d) => d.path === route && JSON.stringify(d.body).includes(marker));

  /** Publishes through `via` until the event reaches `route` (subscriptions attach asynchronously). */
  async function publishUntilDelivered(via: string, route: string) {
    const marker = `${via}-${randomUUID()}`;
    await daprd.waitFor(
      async () => {
        if (delivered(route, marker).length > 0) return true;
        const response = await daprd.api('POST', `/v1.0/publish/${via}/${encodeURIComponent(topic)}`, { marker });
        expect(response.status).toBe(204);
        await new Promise((r) => setTimeout(r, 300));
        return undefined;
      },
      `an event from ${via} on ${route}`,
      30_000,
    );
    return delivered(route, marker)[0]!;
  }

  it('our pub/sub: a published event reaches the app as a CloudEvent', async () => {
    const delivery = await publishUntilDelivered('mqtt-daprkit', '/via-daprkit');
    expect(delivery.body).toMatchObject({ topic, pubsubname: 'mqtt-daprkit', data: { marker: expect.any(String) } });
  });

  it("daprd's built-in pubsub.mqtt3 publishes, our plugin delivers (same broker, same topic)", async () => {
    // The CloudEvent is the publisher's (pubsubname = the publishing component); the route is our subscription's.
    const delivery = await publishUntilDelivered('mqtt-builtin', '/via-daprkit');
    expect(delivery.body).toMatchObject({ topic, pubsubname: 'mqtt-builtin' });
  });

  it("our plugin publishes, daprd's built-in pubsub.mqtt3 delivers", async () => {
    const delivery = await publishUntilDelivered('mqtt-daprkit', '/via-builtin');
    expect(delivery.body).toMatchObject({ topic, pubsubname: 'mqtt-daprkit' });
  });

  it.each([
    ['mqtt-out', '/mqtt-in', 'ours to ours'],
    ['mqtt-out', '/mqtt-builtin-in', "ours to daprd's built-in bindings.mqtt3"],
    ['mqtt-builtin-out', '/mqtt-in', "daprd's built-in bindings.mqtt3 to ours"],
  ])('bindings: output %s reaches input %s through the broker (%s)', async (out, input) => {
    {
      const marker = `${out}-${randomUUID()}`;
      await daprd.waitFor(
        async () => {
          if (delivered(input, marker).length > 0) return true;
          const response = await daprd.api('POST', `/v1.0/bindings/${out}`, { operation: 'create', data: { marker } });
          // A built-in binding with no response data gets 204; daprd's pluggable wrapper always has a response: 200.
          expect(response.status).toBe(out === 'mqtt-builtin-out' ? 204 : 200);
          await new Promise((r) => setTimeout(r, 300));
          return undefined;
        },
        `an input event from ${out} at ${input}`,
        30_000,
      );
      expect(delivered(input, marker)[0]!.body).toEqual({ marker });
    }
  });

  it('bindings: daprd rejects an operation our output binding does not list', async () => {
    const response = await daprd.api('POST', '/v1.0/bindings/mqtt-out', { operation: 'delete', data: 'x' });
    expect(response.status).toBe(500);
    expect(response.text).toContain('does not support operation delete. supported operations:create');
  });
});

const NATS_URL = process.env.DAPRKIT_NATS_URL ?? 'nats://127.0.0.1:4222';
const natsSkip =
  daprdMissing(['pubsub-jetstream'], DAPRD_EXTRA) ??
  (await connect({ servers: NATS_URL, timeout: 2000, maxReconnectAttempts: 0 }).then(
    async (nc) => {
      await nc.close();
      return undefined;
    },
    (err: Error) => `NATS unreachable at ${NATS_URL}: ${err.message}`,
  ));
if (natsSkip !== undefined && process.env.CI === 'true') throw new Error(natsSkip);
const natsSuite = natsSkip === undefined ? describe : describe.skip;

// pubsub.jetstream is beta upstream: daprd's built-in one comes with the `extra` build.
natsSuite(`daprd with pubsub-jetstream as a plugin${natsSkip ? ` (SKIPPED: ${natsSkip})` : ''}`, () => {
  const stream = `daprkit-interop-${run}`;
  const subject = `daprkit.interop.${run}.orders`;
  let daprd: Daprd;
  let app: Awaited<ReturnType<typeof startRecordingApp>>;
  let plugin: PluginProcess | undefined;

  beforeAll(async () => {
    const nc = await connect({ servers: NATS_URL });
    await (await jetstreamManager(nc)).streams.add({ name: stream, subjects: [`daprkit.interop.${run}.>`] });
    await nc.close();
    const sockets = await mkdtemp('/tmp/dk-daprd-js-');
    plugin = await startPluginProcess(bin('pubsub-jetstream'), join(sockets, 'dk-jetstream.sock'));
    app = await startRecordingApp([
      { pubsubname: 'orders', topic: subject, route: '/orders' },
      { pubsubname: 'orders-builtin', topic: subject, route: '/orders-builtin' },
    ]);
    const resources = await mkdtemp('/tmp/dk-daprd-js-res-');
    await writeFile(
      join(resources, 'components.yaml'),
      [
        componentYaml('orders', 'pubsub.dk-jetstream', { natsURL: NATS_URL, durableName: `interop-${run}` }),
        // daprd's own replica on the same stream, with its own durable consumer.
        componentYaml('orders-builtin', 'pubsub.jetstream', { natsURL: NATS_URL, durableName: `interop-go-${run}` }),
      ].join('---\n'),
    );
    daprd = await startDaprd({
      binary: DAPRD_EXTRA,
      appId: `daprd-js-${run}`,
      appPort: app.port,
      resourcesPath: resources,
      socketsFolder: sockets,
    });
  }, 120_000);

  afterAll(async () => {
    await daprd?.stop();
    await plugin?.kill();
    await app?.close();
    const nc = await connect({ servers: NATS_URL }).catch(() => undefined);
    if (nc) {
      await (await jetstreamManager(nc)).streams.delete(stream).catch(() => {});
      await nc.close();
    }
  });

  it('a published event reaches the app as a CloudEvent; the durable consumer ends with nothing pending', async () => {
    const marker = randomUUID();
    const response = await daprd.api('POST', `/v1.0/publish/orders/${subject}`, { marker });
    expect(response.status).toBe(204);
    await daprd.waitFor(
      () =>
        app.deliveries.some((d) => d.path === '/orders' && JSON.stringify(d.body).includes(marker)) ? true : undefined,
      'the event at /orders',
      30_000,
    );
    const delivery = app.deliveries.find((d) => d.path === '/orders' && JSON.stringify(d.body).includes(marker))!;
    expect(delivery.body).toMatchObject({ topic: subject, pubsubname: 'orders', data: { marker } });
    const nc = await connect({ servers: NATS_URL });
    try {
      const jsm = await jetstreamManager(nc);
      await daprd.waitFor(
        async () => ((await jsm.consumers.info(stream, `interop-${run}`)).num_ack_pending === 0 ? true : undefined),
        'the ack',
        10_000,
      );
    } finally {
      await nc.close();
    }
  });

  it.each([
    ['orders-builtin', '/orders', "daprd's built-in pubsub.jetstream publishes, our plugin delivers"],
    ['orders', '/orders-builtin', "our plugin publishes, daprd's built-in pubsub.jetstream delivers"],
  ])('shared stream: %s → %s (%s)', async (via, route) => {
    const marker = randomUUID();
    const response = await daprd.api('POST', `/v1.0/publish/${via}/${subject}`, { marker });
    expect(response.status).toBe(204);
    await daprd.waitFor(
      () =>
        app.deliveries.some((d) => d.path === route && JSON.stringify(d.body).includes(marker)) ? true : undefined,
      `the event from ${via} at ${route}`,
      30_000,
    );
    const delivery = app.deliveries.find((d) => d.path === route && JSON.stringify(d.body).includes(marker))!;
    expect(delivery.body).toMatchObject({ topic: subject, pubsubname: via, data: { marker } });
  });
});
