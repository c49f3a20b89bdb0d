/**
 * The outbox with every transactional state store we ship × every pub/sub, in process and with both components
 * served by their plugin bins over unix sockets. Per pair: the seed's order flow (the subscriber receives
 * {"orderId":n} on its topic and the marker is deleted), and a failed transaction whose internal event is
 * discarded (its marker fenced with a tombstone) while a later committed one still flows.
 * Unreachable backends skip locally with the reason and fail with CI=true.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Backend,
  PluginProcess,
  PUBSUB_BACKENDS,
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

const skipReason = await unreachable([...STATE_BACKENDS, ...PUBSUB_BACKENDS]);
const pairs = STATE_BACKENDS.flatMap((store) => PUBSUB_BACKENDS.map((pubsub) => ({ store, pubsub })));
const modes = ['in process', 'over sockets'] as const;

for (const mode of modes) {
  const suite = skipReason === undefined ? describe : describe.skip;
  suite(`outbox matrix ${mode}${skipReason ? ` (SKIPPED: ${skipReason})` : ''}`, () => {
    const run = randomUUID().slice(0, 8);
    const appId = `matrix-${mode === 'in process' ? 'inproc' : 'sock'}-${run}`;
    const topicOf = (store: Backend, pubsub: Backend) => `orders-${store.name}-${pubsub.name}-${run}`;
    const storeOf = (store: Backend, pubsub: Backend) => `store-${store.name}-${pubsub.name}`;
    const plugins: PluginProcess[] = [];
    let sidecar: SidecarProcess;
    let app: Awaited<ReturnType<typeof startApp>>;
    const delivered = (topic: string) =>
      app.requests.filter((r) => r.url === `/${topic}`).map((r) => JSON.parse(r.body) as Record<string, unknown>);

    beforeAll(async () => {
      await ensureSidecarBuilt([...STATE_BACKENDS, ...PUBSUB_BACKENDS].map((b) => `packages/${b.pkg}`));
      const routes: Record<string, (r: unknown, res: ServerResponse) => void> = {
        'GET /dapr/subscribe': (_r, res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify(
              pairs.map(({ store, pubsub }) => ({
                pubsubname: `pubsub-${pubsub.name}`,
                topic: topicOf(store, pubsub),
                route: `/${topicOf(store, pubsub)}`,
              })),
            ),
          );
        },
      };
      for (const { store, pubsub } of pairs)
        routes[`/${topicOf(store, pubsub)}`] = (_r, res) => {
          res.writeHead(200);
          res.end();
        };
      app = await startApp(routes);

      const dir = await mkdtemp(join(tmpdir(), 'dk-outbox-matrix-'));
      const sockets = await mkdtemp('/tmp/dk-obx-');
      const typeOf = new Map<Backend, string>();
      if (mode === 'over sockets') {
        for (const backend of [...STATE_BACKENDS, ...PUBSUB_BACKENDS]) {
          const plugin = new PluginProcess(backend, join(sockets, `dk-${backend.name}-${backend.kind}.sock`));
          plugins.push(plugin);
          typeOf.set(backend, plugin.type);
        }
        await Promise.all(plugins.map((p) => p.start()));
      } else for (const backend of [...STATE_BACKENDS, ...PUBSUB_BACKENDS]) typeOf.set(backend, backend.type);

      const registry = join(dir, 'registry.json');
      await writeFile(registry, JSON.stringify(registryFor([...STATE_BACKENDS, ...PUBSUB_BACKENDS])));
      const components = [
        ...PUBSUB_BACKENDS.map((p) => yamlComponent(`pubsub-${p.name}`, typeOf.get(p)!, p.metadata)),
        ...pairs.map(({ store, pubsub }) =>
          yamlComponent(storeOf(store, pubsub), typeOf.get(store)!, {
            ...store.metadata,
            keyPrefix: 'none', // so the test reads the unprefixed outbox markers through the API
            outboxPublishPubsub: `pubsub-${pubsub.name}`,
            outboxPublishTopic: topicOf(store, pubsub),
            outboxDiscardWhenMissingState: 'true',
            outboxMissingStateTimeout: '1s',
          }),
        ),
      ];
      await writeFile(join(dir, 'components.yaml'), components.join('---\n'));
      sidecar = await startSidecarProcess([
        ...['--app-id', appId, '--app-port', String(app.port)],
        ...['--resources-path', dir, '--registry', registry, '--sockets-folder', sockets],
      ]);
      await waitFor(async () => (await http(sidecar.httpPort, 'GET', '/v1.0/healthz')).status === 204, 30_000, 'ready');
    }, 120_000);

    afterAll(async () => {
      await stopAllProcesses();
      await Promise.all(plugins.map((p) => p.stop()));
      await app?.close();
    });

    describe.concurrent.each(pairs)('$store.name state + $pubsub.name pub/sub', ({ store, pubsub }) => {
      const storeName = storeOf(store, pubsub);
      const topic = topicOf(store, pubsub);
      const state = (key: string) => http(sidecar.httpPort, 'GET', `/v1.0/state/${storeName}/${key}`);
      const transaction = (operations: unknown[]) =>
        http(sidecar.httpPort, 'POST', `/v1.0/state/${storeName}/transaction`, JSON.stringify({ operations }), {
          'content-type': 'application/json',
        });

      it('delivers the committed order, deletes its marker, and discards a failed transaction', {
        timeout: 60_000,
      }, async () => {
        const key = `order-${store.name}-${pubsub.name}-${run}`;
        const saved = await transaction([
          {
            operation: 'upsert',
            request: { key, value: { orderId: 1 }, metadata: { contentType: 'application/json' } },
          },
        ]);
        expect(saved.status).toBe(204);
        expect((await state(key)).json).toEqual({ orderId: 1 });
        const event = await waitFor(() => delivered(topic)[0], 30_000, `order event on ${topic}`);
        expect(event).toMatchObject({
          data: { orderId: 1 },
          source: appId,
          topic,
          pubsubname: `pubsub-${pubsub.name}`,
        });
        await waitFor(async () => (await state(String(event.id))).status === 204, 15_000, 'marker deleted');

        // A transaction that fails on a stale ETag: its internal event was published, the commit was refused.
        const failed = await transaction([
          { operation: 'upsert', request: { key, value: { orderId: 2 }, etag: '999999' } },
        ]);
        expect(failed.status).toBe(500);
        expect(failed.json.errorCode).toBe('ERR_STATE_TRANSACTION');
        const discarded = await waitFor(
          () =>
            new RegExp(`event discarded[^\\n]*"store":"${storeName}","id":"(outbox-[0-9a-f-]+)"`).exec(
              sidecar.logs(),
            )?.[1],
          30_000,
          'orphan discarded',
        );
        expect((await state(discarded)).text).toBe('"outbox-discarded"');
        // A committed transaction after the orphan still flows; the orphan never reached the final topic.
        expect(
          (
            await transaction([
              {
                operation: 'upsert',
                request: { key: `${key}-after`, value: { orderId: 3 }, metadata: { contentType: 'application/json' } },
              },
            ])
          ).status,
        ).toBe(204);
        await waitFor(() => delivered(topic).length === 2 || undefined, 30_000, 'event after the orphan');
        expect(delivered(topic).map((e) => (e.data as { orderId: number }).orderId)).toEqual([1, 3]);
        expect((await state(key)).json).toEqual({ orderId: 1 });
      });
    });
  });
}
