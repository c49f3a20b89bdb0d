/**
 * App health checks against a real HTTP app whose /healthz turns bad and good again, with Redis streams behind the
 * subscription: the app starts unhealthy, deliveries wait for the first good probe, stop while it is unhealthy and
 * resume after, and no message is lost. `/v1.0/healthz` does not follow app health (daprd).
 */

import { createLogger } from '@daprkit/component-sdk';
import { probeRedis, REDIS_HOST } from '@daprkit/redis-common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSidecar, type Sidecar } from '../src/sidecar.js';
import { ensureSidecarBuilt, http, startApp, waitFor } from './support.js';

const redisMissing = await probeRedis().then(
  () => undefined,
  (err: Error) => `Redis unreachable at ${REDIS_HOST}: ${err.message}`,
);
if (redisMissing && process.env.CI === 'true') throw new Error(`${redisMissing} (CI=true: a missing backend fails)`);

const topic = `health-${process.pid}-${Date.now()}`;
let healthy = false;
let probes = 0;
const received: string[] = [];
const lines: Record<string, unknown>[] = [];
let app: Awaited<ReturnType<typeof startApp>>;
let sidecar: Sidecar;

const logged = (msg: string) => lines.filter((l) => l.scope === 'dapr.apphealth' && l.msg === msg).length;
const publish = (id: string) =>
  http(sidecar.httpPort, 'POST', `/v1.0/publish/redis-ps/${topic}`, JSON.stringify({ id }), {
    'content-type': 'application/json',
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(redisMissing !== undefined)('app health checks', () => {
  beforeAll(async () => {
    await ensureSidecarBuilt(['packages/pubsub-redis']);
    app = await startApp({
      'GET /healthz': (_r, res) => {
        probes++;
        res.writeHead(healthy ? 200 : 503).end();
      },
      'GET /dapr/subscribe': (_r, res) =>
        void res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify([{ pubsubname: 'redis-ps', topic, route: '/events' }])),
      'POST /events': (r, res) => {
        received.push(String((JSON.parse(r.body) as { data: { id: string } }).data.id));
        res.writeHead(200).end();
      },
    });
    sidecar = await createSidecar({
      appId: `health-${process.pid}`,
      appPort: app.port,
      httpPort: 0,
      grpcPort: false,
      components: [
        { name: 'redis-ps', type: 'pubsub.redis', metadata: { redisHost: REDIS_HOST, redeliverInterval: '0' } },
      ],
      appHealthCheck: { enabled: true, path: '/healthz', intervalSeconds: 0.2, timeoutMs: 500, threshold: 2 },
      logger: createLogger({ json: true, write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) }),
    });
    await sidecar.ready;
  }, 60_000);

  afterAll(async () => {
    await sidecar?.close();
    await app?.close();
  });

  it('starts unhealthy: nothing is delivered before the first good probe, then everything', async () => {
    expect(sidecar.runtime.appHealth).toMatchObject({ enabled: true, healthy: false });
    expect((await publish('early-1')).status).toBe(204);
    expect((await publish('early-2')).status).toBe(204);
    await waitFor(() => probes >= 3, 10_000, 'a few failing probes');
    await sleep(300);
    expect(received).toEqual([]);
    // The sidecar itself is healthy whatever the app's state.
    expect((await http(sidecar.httpPort, 'GET', '/v1.0/healthz')).status).toBe(204);

    healthy = true;
    await waitFor(() => logged('App entered healthy status') === 1, 10_000, 'the healthy log line');
    expect(sidecar.runtime.appHealth.healthy).toBe(true);
    await waitFor(() => received.length === 2, 10_000, 'the early messages');
    expect(received.sort()).toEqual(['early-1', 'early-2']);
  });

  it('stops delivery while the app is unhealthy and resumes it after, losing nothing', async () => {
    expect((await publish('ok-1')).status).toBe(204);
    await waitFor(() => received.includes('ok-1'), 10_000, 'a delivery while healthy');

    healthy = false;
    await waitFor(
      () => lines.some((l) => l.scope === 'dapr.apphealth' && /^App entered un-healthy status/.test(String(l.msg))),
      10_000,
      'the un-healthy log line',
    );
    expect(sidecar.runtime.appHealth.healthy).toBe(false);
    expect(lines.find((l) => /^App entered un-healthy status/.test(String(l.msg)))).toMatchObject({ level: 'warning' });
    const ids = ['down-1', 'down-2', 'down-3', 'down-4', 'down-5'];
    for (const id of ids) expect((await publish(id)).status).toBe(204);
    const probesBefore = probes;
    await waitFor(() => probes >= probesBefore + 4, 10_000, 'more failing probes');
    expect(received.filter((id) => id.startsWith('down-'))).toEqual([]);
    expect((await http(sidecar.httpPort, 'GET', '/v1.0/healthz')).status).toBe(204);

    healthy = true;
    await waitFor(() => logged('App entered healthy status') === 2, 10_000, 'healthy again');
    await waitFor(() => ids.every((id) => received.includes(id)), 15_000, 'every message published while down');
    expect(received.filter((id) => id.startsWith('down-')).sort()).toEqual(ids);
    expect(sidecar.runtime.subscriptions.map((s) => s.topic)).toEqual([topic]);
  });
});
