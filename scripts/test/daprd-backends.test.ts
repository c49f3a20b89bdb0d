/**
 * Every backend package as a plugin next to a real daprd: the Redis, PostgreSQL and MySQL state stores, the Redis
 * Streams and Kafka pub/subs and the environment secret store run from their bins on sockets, daprd loads them from
 * YAML, and we use daprd's HTTP API as an app would. State: save, read with its ETag, a stale ETag (409), a
 * transaction, bulk get, delete. Pub/sub: a published event reaches the app. Secrets: one and bulk.
 * Unreachable backends or no daprd: skipped with the reason locally, a failure with CI=true.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PluginProcess, startPluginProcess } from '@daprkit/component-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBSUB_BACKENDS, STATE_BACKENDS, unreachable } from '../../packages/sidecar/test/outbox-support.js';
import { componentYaml, type Daprd, daprdMissing, REPO_ROOT, startDaprd, startRecordingApp } from './daprd-support.js';

const stores = STATE_BACKENDS.filter((b) => b.durable);
const pubsubs = PUBSUB_BACKENDS.filter((b) => b.durable);
const SECRETS_PKG = 'secretstores-local-env';
const skipReason =
  daprdMissing([...stores, ...pubsubs].map((b) => b.pkg).concat(SECRETS_PKG)) ??
  (await unreachable([...stores, ...pubsubs]));
const suite = skipReason === undefined ? describe : describe.skip;

const run = randomUUID().slice(0, 8);
const topicOf = (pubsub: string) => `interop-${pubsub}-${run}`;
let daprd: Daprd;
let app: Awaited<ReturnType<typeof startRecordingApp>>;
const plugins: PluginProcess[] = [];

suite(`daprd with every backend package as a plugin${skipReason ? ` (SKIPPED: ${skipReason})` : ''}`, () => {
  beforeAll(async () => {
    const sockets = await mkdtemp('/tmp/dk-daprd-be-');
    const bin = (pkg: string) => join(REPO_ROOT, 'packages', pkg, 'bin', `daprkit-${pkg}.js`);
    const started = await Promise.all([
      ...[...stores, ...pubsubs].map((b) =>
        startPluginProcess(bin(b.pkg), join(sockets, `dk-${b.name}-${b.kind}.sock`)),
      ),
      startPluginProcess(bin(SECRETS_PKG), join(sockets, 'dk-env.sock'), {
        env: { ...process.env, INTEROP_DB_PASSWORD: 's3cret', INTEROP_API_KEY: 'k-123' },
      }),
    ]);
    plugins.push(...started);
    app = await startRecordingApp(
      pubsubs.map((p) => ({ pubsubname: `pubsub-${p.name}`, topic: topicOf(p.name), route: `/${p.name}` })),
    );
    const resources = await mkdtemp('/tmp/dk-daprd-be-res-');
    await writeFile(
      join(resources, 'components.yaml'),
      [
        ...stores.map((s) =>
          componentYaml(`store-${s.name}`, `state.dk-${s.name}-state`, { ...s.metadata, tableName: 'daprd_interop' }),
        ),
        ...pubsubs.map((p) => componentYaml(`pubsub-${p.name}`, `pubsub.dk-${p.name}-pubsub`, p.metadata)),
        componentYaml('envsecrets', 'secretstores.dk-env', { prefix: 'INTEROP_' }),
      ].join('---\n'),
    );
    daprd = await startDaprd({
      appId: `daprd-be-${run}`,
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

  it.each(stores.map((s) => s.name))(
    '%s state store: save, ETag read, stale ETag 409, transaction, bulk get, delete',
    async (name) => {
      const base = `/v1.0/state/store-${name}`;
      const key = `order-${run}`;
      expect((await daprd.api('POST', base, [{ key, value: { id: 1 } }])).status).toBe(204);
      const read = await daprd.api('GET', `${base}/${key}`);
      expect(read.json).toEqual({ id: 1 });
      const etag = read.headers.get('etag')!;
      expect(etag).toBeTruthy();
      const stale = await daprd.api('POST', base, [{ key, value: { id: 2 }, etag: '12345' }]);
      expect(stale.status).toBe(409);
      expect((await daprd.api('POST', base, [{ key, value: { id: 2 }, etag }])).status).toBe(204);
      const tx = await daprd.api('POST', `${base}/transaction`, {
        operations: [
          { operation: 'upsert', request: { key: `${key}-a`, value: 'a' } },
          { operation: 'upsert', request: { key: `${key}-b`, value: 'b' } },
          { operation: 'delete', request: { key } },
        ],
      });
      expect(tx.status).toBe(204);
      const bulk = await daprd.api('POST', `${base}/bulk`, { keys: [`${key}-a`, `${key}-b`, key] });
      const values = Object.fromEntries(
        (bulk.json as unknown as { key: string; data?: unknown }[]).map((item) => [item.key, item.data]),
      );
      expect(values).toEqual({ [`${key}-a`]: 'a', [`${key}-b`]: 'b', [key]: undefined });
      expect((await daprd.api('DELETE', `${base}/${key}-a`)).status).toBe(204);
      expect((await daprd.api('GET', `${base}/${key}-a`)).status).toBe(204);
    },
  );

  it.each(pubsubs.map((p) => p.name))(
    '%s pub/sub: a published event reaches the app',
    { timeout: 60_000 },
    async (name) => {
      // A new Kafka group may still be joining: publish until the first event arrives, then check what arrived.
      const delivered = () => app.deliveries.filter((d) => d.path === `/${name}`);
      let sent = 0;
      await daprd.waitFor(
        async () => {
          if (delivered().length > 0) return true;
          const response = await daprd.api('POST', `/v1.0/publish/pubsub-${name}/${topicOf(name)}`, { n: sent++ });
          expect(response.status).toBe(204);
          await new Promise((r) => setTimeout(r, 500));
          return undefined;
        },
        `an event on ${topicOf(name)}`,
        45_000,
      );
      expect(delivered()[0]!.body).toMatchObject({
        topic: topicOf(name),
        pubsubname: `pubsub-${name}`,
        data: { n: 0 },
      });
    },
  );

  it('environment secret store: one and bulk, prefix stripped', async () => {
    expect((await daprd.api('GET', '/v1.0/secrets/envsecrets/DB_PASSWORD')).json).toEqual({ DB_PASSWORD: 's3cret' });
    expect((await daprd.api('GET', '/v1.0/secrets/envsecrets/bulk')).json).toEqual({
      DB_PASSWORD: { DB_PASSWORD: 's3cret' },
      API_KEY: { API_KEY: 'k-123' },
    });
  });
});
