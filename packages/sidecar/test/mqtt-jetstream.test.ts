/**
 * The sidecar with the MQTT and NATS JetStream packages in process (DEFAULT_REGISTRY: pubsub.mqtt3, bindings.mqtt3,
 * pubsub.jetstream): a publish reaches the app through each broker, and an output binding's event comes back
 * through the input binding. Brokers: `bash scripts/services.sh up mosquitto nats`; skipped without them locally.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MQTT_URL, mqttUnreachable } from '@daprkit/mqtt-common/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
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

const NATS_URL = process.env.DAPRKIT_NATS_URL ?? 'nats://127.0.0.1:4222';
const natsMissing = await connect({ servers: NATS_URL, timeout: 2000, maxReconnectAttempts: 0 }).then(
  async (nc) => {
    await nc.close();
    return undefined;
  },
  (err: Error) => `NATS unreachable at ${NATS_URL}: ${err.message}`,
);
const missing = (await mqttUnreachable()) ?? natsMissing;
if (missing !== undefined && process.env.CI === 'true') throw new Error(`${missing}; CI must provide it`);
const suite = missing === undefined ? describe : describe.skip;

const run = randomUUID().slice(0, 8);
const mqttTopic = `sidecar/${run}/orders`;
const natsSubject = `daprkit.sidecar.${run}.orders`;
const bindingTopic = `sidecar/${run}/binding`;
const stream = `daprkit-sidecar-${run}`;
let sidecar: SidecarProcess;
let app: Awaited<ReturnType<typeof startApp>>;

const ok = (_r: unknown, res: import('node:http').ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"status":"SUCCESS"}');
};
const bodies = (path: string) => app.requests.filter((r) => r.method === 'POST' && r.url === path).map((r) => r.body);

suite(`sidecar with MQTT and JetStream in process${missing ? ` [skipped: ${missing}]` : ''}`, () => {
  beforeAll(async () => {
    await ensureSidecarBuilt(['packages/pubsub-mqtt3', 'packages/bindings-mqtt3', 'packages/pubsub-jetstream']);
    const nc = await connect({ servers: NATS_URL });
    await (await jetstreamManager(nc)).streams.add({ name: stream, subjects: [`daprkit.sidecar.${run}.>`] });
    await nc.close();
    app = await startApp({
      'GET /dapr/subscribe': (_r, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify([
            { pubsubname: 'mqtt', topic: mqttTopic, route: '/mqtt' },
            { pubsubname: 'js', topic: natsSubject, route: '/js' },
          ]),
        );
      },
      '/mqtt': ok,
      '/js': ok,
      '/mqtt-binding': ok,
    });
    const component = (name: string, type: string, metadata: Record<string, string>) =>
      `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${name}\nspec:\n  type: ${type}\n  version: v1\n  metadata:\n${Object.entries(
        metadata,
      )
        .map(([k, v]) => `    - name: ${k}\n      value: ${JSON.stringify(v)}`)
        .join('\n')}\n`;
    const resources = await mkdtemp(join(tmpdir(), 'dk-sidecar-mqtt-'));
    await writeFile(
      join(resources, 'components.yaml'),
      [
        component('mqtt', 'pubsub.mqtt3', { url: MQTT_URL, consumerID: `sidecar-${run}` }),
        component('mqtt-binding', 'bindings.mqtt', {
          url: MQTT_URL,
          consumerID: `sidecar-b-${run}`,
          topic: bindingTopic,
        }),
        component('js', 'pubsub.jetstream', { natsURL: NATS_URL, durableName: `sidecar-${run}` }),
      ].join('---\n'),
    );
    sidecar = await startSidecarProcess([
      '--app-id',
      'brokers',
      '--app-port',
      String(app.port),
      '--resources-path',
      resources,
    ]);
    await waitFor(
      async () => (await http(sidecar.httpPort, 'GET', '/v1.0/healthz')).status === 204,
      20_000,
      'sidecar ready',
    );
  }, 120_000);

  afterAll(async () => {
    await stopAllProcesses();
    await app?.close();
    const nc = await connect({ servers: NATS_URL }).catch(() => undefined);
    if (nc) {
      await (await jetstreamManager(nc)).streams.delete(stream).catch(() => {});
      await nc.close();
    }
  });

  it.each([
    ['mqtt', mqttTopic, '/mqtt'],
    ['js', natsSubject, '/js'],
  ])('%s: a publish reaches the app as a CloudEvent', async (pubsub, topic, route) => {
    const marker = randomUUID();
    await waitFor(
      async () => {
        if (bodies(route).some((b) => b.includes(marker))) return true;
        const res = await http(
          sidecar.httpPort,
          'POST',
          `/v1.0/publish/${pubsub}/${encodeURIComponent(topic)}`,
          JSON.stringify({ marker }),
          { 'content-type': 'application/json' },
        );
        expect(res.status, res.text).toBe(204);
        await new Promise((r) => setTimeout(r, 300));
        return false;
      },
      20_000,
      `an event on ${route}`,
    );
    const event = JSON.parse(bodies(route).find((b) => b.includes(marker))!);
    expect(event).toMatchObject({ topic, pubsubname: pubsub, data: { marker } });
  });

  it('bindings.mqtt: an output create comes back through the input binding', async () => {
    const marker = randomUUID();
    await waitFor(
      async () => {
        if (bodies('/mqtt-binding').some((b) => b.includes(marker))) return true;
        const res = await http(
          sidecar.httpPort,
          'POST',
          '/v1.0/bindings/mqtt-binding',
          JSON.stringify({ operation: 'create', data: { marker } }),
          { 'content-type': 'application/json' },
        );
        expect(res.status, res.text).toBeLessThan(300);
        await new Promise((r) => setTimeout(r, 300));
        return false;
      },
      20_000,
      'an input binding event',
    );
  });
});
