/**
 * The outbox on persistent backends: Redis Streams (`@daprkit/pubsub-redis`) with the Redis, PostgreSQL and MySQL
 * state stores, in process. The seed's order flow end to end, the marker's life (deleted after the relay, fenced
 * with a tombstone when the transaction failed). Unreachable services skip locally and fail with CI=true.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureSidecarBuilt,
  http,
  REPO_ROOT,
  type SidecarProcess,
  startApp,
  startSidecarProcess,
  stopAllProcesses,
  waitFor,
} from './support.js';

const REDIS = process.env.DAPRKIT_REDIS_HOST ?? '127.0.0.1:6379';
const PG_URL = process.env.DAPRKIT_PG_URL ?? 'postgres://daprkit:daprkit@127.0.0.1:5432/daprkit';
const MYSQL_DSN = process.env.DAPRKIT_MYSQL_DSN ?? 'daprkit:daprkit@tcp(127.0.0.1:3306)/';

function reachable(hostPort: string): Promise<boolean> {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const socket = connect({ host: host!, port: Number(port) });
    socket.setTimeout(1000);
    const settle = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => settle(true));
    socket.once('error', () => settle(false));
    socket.once('timeout', () => settle(false));
  });
}

const backends: { store: string; address: string; metadata: Record<string, string> }[] = [
  { store: 'state.redis', address: REDIS, metadata: { redisHost: REDIS } },
  {
    store: 'state.postgresql',
    address: '127.0.0.1:5432',
    metadata: { connectionString: PG_URL, tableName: 'outbox_test_state' },
  },
  {
    store: 'state.mysql',
    address: '127.0.0.1:3306',
    metadata: { connectionString: MYSQL_DSN, tableName: 'outbox_test_state' },
  },
];
const available = new Map<string, boolean>();
for (const b of backends) available.set(b.store, (await reachable(b.address)) && (await reachable(REDIS)));

function yamlComponent(name: string, type: string, metadata: Record<string, string>): string {
  const items = Object.entries(metadata).map(([k, v]) => `    - name: ${k}\n      value: ${JSON.stringify(v)}`);
  return `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${name}\nspec:\n  type: ${type}\n  version: v1\n  metadata:\n${items.join('\n')}\n`;
}

for (const backend of backends) {
  const up = available.get(backend.store) ?? false;
  if (!up && process.env.CI === 'true')
    throw new Error(`${backend.store} or Redis unreachable at ${backend.address}/${REDIS}: CI requires them`);
  const suite = up ? describe : describe.skip;
  const title = up
    ? `outbox on ${backend.store} + pubsub.redis`
    : `outbox on ${backend.store} (SKIPPED: ${backend.address} or ${REDIS} unreachable; run scripts/services.sh up)`;

  suite(title, () => {
    const run = randomUUID().slice(0, 8);
    const appId = `order-processor-${run}`;
    const topic = `orders-${run}`;
    let sidecar: SidecarProcess;
    let app: Awaited<ReturnType<typeof startApp>>;
    const orders = () =>
      app.requests.filter((r) => r.url === '/orders').map((r) => JSON.parse(r.body) as Record<string, unknown>);
    const state = (key: string) => http(sidecar.httpPort, 'GET', `/v1.0/state/statestore/${key}`);
    const transaction = (operations: unknown[]) =>
      http(sidecar.httpPort, 'POST', '/v1.0/state/statestore/transaction', JSON.stringify({ operations }), {
        'content-type': 'application/json',
      });

    beforeAll(async () => {
      await ensureSidecarBuilt([
        'packages/pubsub-redis',
        'packages/state-redis',
        'packages/state-postgresql',
        'packages/state-mysql',
      ]);
      app = await startApp({
        'GET /dapr/subscribe': (_r, res: ServerResponse) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify([{ pubsubname: 'orderpubsub', topic, route: '/orders' }]));
        },
        '/orders': (_r, res: ServerResponse) => {
          res.writeHead(200);
          res.end();
        },
      });
      const dir = await mkdtemp(join(tmpdir(), 'dk-outbox-backend-'));
      const registry = join(dir, 'registry.json');
      await writeFile(
        registry,
        JSON.stringify({ 'pubsub.redis': join(REPO_ROOT, 'packages/pubsub-redis/dist/index.js') }),
      );
      await writeFile(
        join(dir, 'components.yaml'),
        [
          yamlComponent('orderpubsub', 'pubsub.redis', {
            redisHost: REDIS,
            consumerID: '{appID}',
            processingTimeout: '2s',
            redeliverInterval: '1s',
          }),
          yamlComponent('statestore', backend.store, {
            ...backend.metadata,
            keyPrefix: 'none', // so the test can read the unprefixed outbox markers through the API
            outboxPublishPubsub: 'orderpubsub',
            outboxPublishTopic: topic,
            outboxDiscardWhenMissingState: 'true',
            outboxMissingStateTimeout: '1s',
          }),
        ].join('---\n'),
      );
      sidecar = await startSidecarProcess([
        '--app-id',
        appId,
        '--app-port',
        String(app.port),
        '--resources-path',
        dir,
        '--registry',
        registry,
      ]);
      await waitFor(async () => (await http(sidecar.httpPort, 'GET', '/v1.0/healthz')).status === 204, 20_000, 'ready');
    });

    afterAll(async () => {
      await stopAllProcesses();
      await app?.close();
    });

    it('saves the order, delivers {"orderId":1} and deletes the marker', async () => {
      const key = `order-${run}`;
      const response = await transaction([
        { operation: 'upsert', request: { key, value: { orderId: 1 }, metadata: { contentType: 'application/json' } } },
      ]);
      expect(response.status).toBe(204);
      expect((await state(key)).json).toEqual({ orderId: 1 });
      const event = await waitFor(() => orders()[0], 15_000, 'order event');
      expect(event).toMatchObject({ data: { orderId: 1 }, source: appId, topic, pubsubname: 'orderpubsub' });
      await waitFor(async () => (await state(String(event.id))).status === 204, 10_000, 'marker deleted');
    });

    it('publishes nothing for a failed transaction and fences its marker', async () => {
      const key = `stale-${run}`;
      await http(sidecar.httpPort, 'POST', '/v1.0/state/statestore', JSON.stringify([{ key, value: 1 }]), {
        'content-type': 'application/json',
      });
      const before = orders().length;
      const response = await transaction([{ operation: 'upsert', request: { key, value: 2, etag: '999999' } }]);
      expect(response.status).toBe(500);
      expect(response.json.errorCode).toBe('ERR_STATE_TRANSACTION');
      const discarded = await waitFor(
        () => /outbox: transaction did not commit[^\n]*"id":"(outbox-[0-9a-f-]+)"/.exec(sidecar.logs())?.[1],
        15_000,
        'orphan discarded',
      );
      expect((await state(discarded)).text).toBe('"outbox-discarded"');
      // A committed transaction after the orphan still flows, and the orphan never reached the topic.
      await transaction([{ operation: 'upsert', request: { key: `after-${run}`, value: 'after' } }]);
      await waitFor(() => orders().find((e) => e.data === 'after'), 15_000, 'event after the orphan');
      expect(orders().length).toBe(before + 1);
      expect((await state(key)).text).toBe('1');
    });
  });
}
