/**
 * A mixed fleet: a real daprd (built-in state.postgresql + pubsub.redis) and a daprkit sidecar (our packages) run as
 * two replicas of the same app, loaded from the SAME component YAML, sharing one PostgreSQL table and one Redis
 * broker. Transactions go alternately through each; the relays of both share the internal topic's consumer group,
 * so either may relay the other's events. Every committed order must reach the subscriber exactly as written,
 * under the marker id it was created with: marker format, internal topic, event shape and storage layout agree.
 * No daprd binary (scripts/daprd.sh) or backend: skipped with the reason locally, a failure with CI=true.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daprd, daprdMissing, startDaprd } from '../../../scripts/test/daprd-support.js';
import {
  PG_URL,
  PUBSUB_BACKENDS,
  REDIS,
  registryFor,
  STATE_BACKENDS,
  unreachable,
  yamlComponent,
} from './outbox-support.js';
import {
  ensureSidecarBuilt,
  http,
  type SidecarProcess,
  startApp,
  startSidecarProcess,
  stopAllProcesses,
  waitFor,
} from './support.js';

const ORDERS = 40;
const pg = STATE_BACKENDS.find((b) => b.name === 'postgresql')!;
const streams = PUBSUB_BACKENDS.find((b) => b.name === 'redis')!;

const backendsDown = await unreachable([pg, streams]);
const noDaprd = daprdMissing([]);
const skipReason = backendsDown ?? noDaprd;
const suite = skipReason === undefined ? describe : describe.skip;

suite(`outbox in a fleet of daprd + daprkit replicas${skipReason ? ` (SKIPPED: ${skipReason})` : ''}`, () => {
  const run = randomUUID().slice(0, 8);
  const appId = `fleet-${run}`;
  const topic = `orders-${run}`;
  let app: Awaited<ReturnType<typeof startApp>>;
  let sidecar: SidecarProcess;
  let daprd: Daprd;
  let daprdPort = 0;
  let resources = '';
  let registry = '';
  const orders = () =>
    app.requests.filter((r) => r.url === '/orders').map((r) => JSON.parse(r.body) as Record<string, unknown>);

  beforeAll(async () => {
    await ensureSidecarBuilt(['packages/state-postgresql', 'packages/pubsub-redis']);
    app = await startApp({
      'GET /dapr/subscribe': (_r, res: ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify([{ pubsubname: 'orderpubsub', topic, route: '/orders' }]));
      },
      'GET /dapr/config': (_r, res: ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      },
      '/orders': (_r, res: ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"status":"SUCCESS"}');
      },
    });
    // One YAML for both runtimes: contrib's metadata names only, nothing daprkit-specific.
    resources = await mkdtemp(join(tmpdir(), 'dk-fleet-'));
    await writeFile(
      join(resources, 'components.yaml'),
      [
        yamlComponent('orderpubsub', 'pubsub.redis', {
          redisHost: REDIS,
          processingTimeout: '2s',
          redeliverInterval: '1s',
        }),
        yamlComponent('statestore', 'state.postgresql', {
          connectionString: PG_URL,
          tableName: 'outbox_fleet_state',
          outboxPublishPubsub: 'orderpubsub',
          outboxPublishTopic: topic,
        }),
      ].join('---\n'),
    );
    registry = join(await mkdtemp(join(tmpdir(), 'dk-fleet-registry-')), 'registry.json');
    await writeFile(registry, JSON.stringify(registryFor([pg, streams])));

    daprd = await startDaprd({
      appId,
      appPort: app.port,
      resourcesPath: resources,
      socketsFolder: await mkdtemp(join(tmpdir(), 'dk-fleet-sockets-')),
    });
    daprdPort = daprd.httpPort;
    sidecar = await startSidecarProcess(sidecarArgs());
    await waitFor(async () => (await http(sidecar.httpPort, 'GET', '/v1.0/healthz')).status === 204, 30_000, 'ready');
  }, 120_000);

  afterAll(async () => {
    await daprd?.stop();
    await stopAllProcesses();
    await app?.close();
  });

  const sidecarArgs = () => [
    ...['--app-id', appId, '--app-port', String(app.port)],
    ...['--resources-path', resources, '--registry', registry],
  ];
  const transact = (port: number, i: number) =>
    http(
      port,
      'POST',
      '/v1.0/state/statestore/transaction',
      JSON.stringify({
        operations: [
          {
            operation: 'upsert',
            request: { key: `order-${i}`, value: { orderId: i }, metadata: { contentType: 'application/json' } },
          },
        ],
      }),
      { 'content-type': 'application/json' },
    );
  const delivered = () => {
    const seen = new Map<number, Set<string>>();
    for (const event of orders()) {
      const id = (event.data as { orderId: number }).orderId;
      seen.set(id, (seen.get(id) ?? new Set()).add(String(event.id)));
    }
    return seen;
  };
  /** Stops the daprkit replica and returns how many final events its relay published. */
  const stopDaprkit = async () => {
    await sidecar.stop();
    return Number(/outbox: relay stopped[^\n]*"published":(\d+)/.exec(sidecar.logs())?.[1] ?? 0);
  };

  it(`relays ${ORDERS} orders written through daprd, then through daprkit, each replica relaying the other's`, {
    timeout: 180_000,
  }, async () => {
    const half = ORDERS / 2;
    for (let i = 0; i < half; i++) {
      const response = await transact(daprdPort, i);
      expect(response.status, `order ${i} through daprd: ${response.text}`).toBe(204);
    }
    await waitFor(() => delivered().size === half || undefined, 60_000, `orders 0-${half - 1} (written via daprd)`);
    const daprkitRelayedDaprds = await stopDaprkit();

    sidecar = await startSidecarProcess(sidecarArgs());
    await waitFor(async () => (await http(sidecar.httpPort, 'GET', '/v1.0/healthz')).status === 204, 30_000, 'ready');
    for (let i = half; i < ORDERS; i++) {
      const response = await transact(sidecar.httpPort, i);
      expect(response.status, `order ${i} through daprkit: ${response.text}`).toBe(204);
    }
    // Both runtimes read each other's rows: same table layout and key prefix (appId||key).
    expect((await http(sidecar.httpPort, 'GET', '/v1.0/state/statestore/order-0')).json).toEqual({ orderId: 0 });
    expect((await http(daprdPort, 'GET', `/v1.0/state/statestore/order-${half}`)).json).toEqual({ orderId: half });
    const received = await waitFor(
      () => (delivered().size === ORDERS ? delivered() : undefined),
      90_000,
      `all ${ORDERS} orders at the subscriber (daprd log end:\n${daprd.logs().slice(-2000)})`,
    );
    const daprkitRelayedOwn = await stopDaprkit();
    console.log(
      `FLEET RELAYS ${JSON.stringify({ orders: ORDERS, daprkitRelayedDaprds, daprdRelayedDaprkits: half - daprkitRelayedOwn })}`,
    );

    for (const [orderId, ids] of received) {
      expect(ids.size, `order ${orderId} arrived under more than one id`).toBe(1);
      expect([...ids][0]).toMatch(/^outbox-[0-9a-f-]{36}$/);
    }
    for (const event of orders()) expect(event).toMatchObject({ topic, pubsubname: 'orderpubsub', source: appId });
    // Each replica relayed some of the events the other one wrote.
    expect(daprkitRelayedDaprds).toBeGreaterThan(0);
    expect(daprkitRelayedOwn).toBeLessThan(half);
  });
});
