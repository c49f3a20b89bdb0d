/**
 * Wire compatibility with a real, unmodified daprd (built by scripts/daprd.sh from dapr/dapr's sources): our plugin
 * bins serve sockets in a folder, daprd discovers them by reflection and loads them from component YAML, and we drive
 * daprd's own HTTP API. Covers discovery and features (metadata API), two instances multiplexed on one socket by
 * `x-component-instance`, state with ETags (daprd's reading of our error details: 409 on a mismatch), first-write,
 * bulk, transactions, TTL, the query API, pub/sub delivery and bulk publish, secrets, and daprd's own outbox running
 * on our state store and pub/sub. No daprd binary: skipped with the reason locally, a failure with CI=true.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PluginProcess, startPluginProcess } from '@daprkit/component-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  componentYaml,
  type Daprd,
  daprdMissing,
  daprdVersion,
  REPO_ROOT,
  startDaprd,
  startRecordingApp,
} from './daprd-support.js';

const PLUGINS = [
  { pkg: 'state-memory', socket: 'memstate' },
  { pkg: 'pubsub-memory', socket: 'mempubsub' },
  { pkg: 'secretstores-local-file', socket: 'localfile' },
];
const missing = daprdMissing(PLUGINS.map((p) => p.pkg));
const suite = missing === undefined ? describe : describe.skip;

let daprd: Daprd;
let app: Awaited<ReturnType<typeof startRecordingApp>>;
const plugins: PluginProcess[] = [];
const api = (...args: Parameters<Daprd['api']>) => daprd.api(...args);
const waitFor = <T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs?: number) =>
  daprd.waitFor(probe, what, timeoutMs);
const deliveries = () => app.deliveries;

suite(`a real daprd with daprkit plugins${missing ? ` (SKIPPED: ${missing})` : ''}`, () => {
  beforeAll(async () => {
    const sockets = await mkdtemp('/tmp/dk-daprd-');
    for (const p of PLUGINS)
      plugins.push(
        await startPluginProcess(
          join(REPO_ROOT, 'packages', p.pkg, 'bin', `daprkit-${p.pkg}.js`),
          join(sockets, `${p.socket}.sock`),
        ),
      );
    app = await startRecordingApp([
      { pubsubname: 'pubsub', topic: 'orders', route: '/orders' },
      { pubsubname: 'pubsub', topic: 'outbox-orders', route: '/outbox-orders' },
    ]);
    const resources = await mkdtemp('/tmp/dk-daprd-res-');
    const secretsFile = join(await mkdtemp('/tmp/dk-daprd-secrets-'), 'secrets.json');
    await writeFile(secretsFile, JSON.stringify({ dbpassword: 's3cret', apikey: 'k-123' }));
    await writeFile(
      join(resources, 'components.yaml'),
      [
        componentYaml('store-a', 'state.memstate'),
        componentYaml('store-b', 'state.memstate'),
        componentYaml('outboxstore', 'state.memstate', {
          outboxPublishPubsub: 'pubsub',
          outboxPublishTopic: 'outbox-orders',
        }),
        componentYaml('pubsub', 'pubsub.mempubsub'),
        componentYaml('secretstore', 'secretstores.localfile', { secretsFile }),
      ].join('---\n'),
    );
    daprd = await startDaprd({ appId: 'interop', appPort: app.port, resourcesPath: resources, socketsFolder: sockets });
  }, 90_000);

  afterAll(async () => {
    await daprd?.stop();
    await Promise.all(plugins.map((p) => p.kill()));
    await app?.close();
  });

  it('discovers the sockets by reflection and reports each component with its features', async () => {
    const { json } = await api('GET', '/v1.0/metadata');
    expect(json.runtimeVersion).toBe(daprdVersion()); // a release build of daprd, not our sidecar
    const components = json.components as { name: string; type: string; capabilities?: string[] }[];
    const byName = new Map(components.map((c) => [c.name, c]));
    expect(byName.get('store-a')?.type).toBe('state.memstate');
    expect(byName.get('store-a')?.capabilities).toEqual(
      expect.arrayContaining(['ETAG', 'TRANSACTIONAL', 'TTL', 'QUERY_API']),
    );
    expect(byName.get('pubsub')?.type).toBe('pubsub.mempubsub');
    expect(byName.get('secretstore')?.type).toBe('secretstores.localfile');
  });

  it('saves, reads and deletes state with ETags; a stale ETag is a 409 from daprd', async () => {
    expect((await api('POST', '/v1.0/state/store-a', [{ key: 'order', value: { id: 1 } }])).status).toBe(204);
    const read = await api('GET', '/v1.0/state/store-a/order');
    expect(read.json).toEqual({ id: 1 });
    const etag = read.headers.get('etag');
    expect(etag).toBeTruthy();
    const stale = await api('POST', '/v1.0/state/store-a', [{ key: 'order', value: { id: 2 }, etag: 'not-it' }]);
    expect(stale.status).toBe(409);
    expect(stale.json.errorCode).toBe('ERR_STATE_SAVE');
    const fresh = await api('POST', '/v1.0/state/store-a', [{ key: 'order', value: { id: 2 }, etag }]);
    expect(fresh.status).toBe(204);
    expect((await api('DELETE', '/v1.0/state/store-a/order', undefined, { 'if-match': etag! })).status).toBe(409);
    expect((await api('DELETE', '/v1.0/state/store-a/order')).status).toBe(204);
    expect((await api('GET', '/v1.0/state/store-a/order')).status).toBe(204);
  });

  it('keeps two components on one socket apart (x-component-instance)', async () => {
    await api('POST', '/v1.0/state/store-a', [{ key: 'shared', value: 'a' }]);
    await api('POST', '/v1.0/state/store-b', [{ key: 'shared', value: 'b' }]);
    expect((await api('GET', '/v1.0/state/store-a/shared')).json).toBe('a');
    expect((await api('GET', '/v1.0/state/store-b/shared')).json).toBe('b');
  });

  it('honours first-write concurrency, bulk get, transactions and TTL', async () => {
    const first = { key: 'fw', value: 1, options: { concurrency: 'first-write' } };
    expect((await api('POST', '/v1.0/state/store-a', [first])).status).toBe(204);
    expect((await api('POST', '/v1.0/state/store-a', [first])).status).toBe(409);

    const tx = await api('POST', '/v1.0/state/store-a/transaction', {
      operations: [
        { operation: 'upsert', request: { key: 'tx-1', value: 'one' } },
        { operation: 'upsert', request: { key: 'tx-2', value: 'two' } },
        { operation: 'delete', request: { key: 'fw' } },
      ],
    });
    expect(tx.status).toBe(204);
    const bulk = await api('POST', '/v1.0/state/store-a/bulk', { keys: ['tx-1', 'tx-2', 'fw'] });
    const values = Object.fromEntries(
      (bulk.json as unknown as { key: string; data?: unknown }[]).map((item) => [item.key, item.data]),
    );
    expect(values).toEqual({ 'tx-1': 'one', 'tx-2': 'two', fw: undefined });
    const failed = await api('POST', '/v1.0/state/store-a/transaction', {
      operations: [
        { operation: 'upsert', request: { key: 'tx-1', value: 'changed' } },
        { operation: 'upsert', request: { key: 'tx-2', value: 'changed', etag: 'stale' } },
      ],
    });
    expect(failed.status).toBeGreaterThanOrEqual(400);
    expect((await api('GET', '/v1.0/state/store-a/tx-1')).json).toBe('one'); // all or nothing

    await api('POST', '/v1.0/state/store-a', [{ key: 'ttl', value: 'x', metadata: { ttlInSeconds: '1' } }]);
    const withTtl = await api('GET', '/v1.0/state/store-a/ttl');
    expect(withTtl.headers.get('metadata.ttlexpiretime')).toMatch(/^\d{4}-\d\d-\d\dT/);
    await waitFor(
      async () => ((await api('GET', '/v1.0/state/store-a/ttl')).status === 204 ? true : undefined),
      'expiry',
    );
  });

  it('answers the query API through daprd', async () => {
    await api('POST', '/v1.0/state/store-b', [
      { key: 'q1', value: { city: 'Paris', n: 1 } },
      { key: 'q2', value: { city: 'Oslo', n: 2 } },
      { key: 'q3', value: { city: 'Paris', n: 3 } },
    ]);
    const result = await api('POST', '/v1.0-alpha1/state/store-b/query', {
      filter: { EQ: { city: 'Paris' } },
      sort: [{ key: 'n', order: 'DESC' }],
    });
    expect(result.status).toBe(200);
    expect((result.json.results as { key: string }[]).map((r) => r.key)).toEqual(['q3', 'q1']);
  });

  it('delivers published events to the app, single and bulk', async () => {
    expect((await api('POST', '/v1.0/publish/pubsub/orders', { orderId: 7 })).status).toBe(204);
    const event = await waitFor(() => deliveries().find((d) => d.path === '/orders'), 'delivery of orderId 7');
    expect(event.body).toMatchObject({
      data: { orderId: 7 },
      topic: 'orders',
      pubsubname: 'pubsub',
      source: 'interop',
    });
    const bulk = await api('POST', '/v1.0-alpha1/publish/bulk/pubsub/orders', [
      { entryId: '1', event: { orderId: 8 }, contentType: 'application/json' },
      { entryId: '2', event: { orderId: 9 }, contentType: 'application/json' },
    ]);
    expect(bulk.status).toBe(204);
    await waitFor(
      () => (deliveries().filter((d) => d.path === '/orders').length === 3 ? true : undefined),
      'the bulk-published events',
    );
    const ids = deliveries()
      .filter((d) => d.path === '/orders')
      .map((d) => (d.body.data as { orderId: number }).orderId);
    expect(ids.sort()).toEqual([7, 8, 9]);
  });

  it('reads secrets, one and bulk', async () => {
    expect((await api('GET', '/v1.0/secrets/secretstore/dbpassword')).json).toEqual({ dbpassword: 's3cret' });
    expect((await api('GET', '/v1.0/secrets/secretstore/bulk')).json).toEqual({
      dbpassword: { dbpassword: 's3cret' },
      apikey: { apikey: 'k-123' },
    });
    expect((await api('GET', '/v1.0/secrets/secretstore/nope')).status).toBeGreaterThanOrEqual(400);
  });

  it("runs daprd's own outbox on our state store and pub/sub", async () => {
    const tx = await api('POST', '/v1.0/state/outboxstore/transaction', {
      operations: [
        {
          operation: 'upsert',
          request: { key: 'order-1', value: { orderId: 1 }, metadata: { contentType: 'application/json' } },
        },
      ],
    });
    expect(tx.status).toBe(204);
    const event = await waitFor(
      () => deliveries().find((d) => d.path === '/outbox-orders'),
      'the outbox event',
      30_000,
    );
    expect(event.body).toMatchObject({ data: { orderId: 1 }, topic: 'outbox-orders' });
    expect(String(event.body.id)).toMatch(/^outbox-/);
  });
});
