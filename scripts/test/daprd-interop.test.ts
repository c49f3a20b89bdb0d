/**
 * Wire compatibility with a real, unmodified daprd (built by scripts/daprd.sh from dapr/dapr's sources): our plugin
 * bins serve sockets in a folder, daprd discovers them by reflection and loads them from component YAML, and we drive
 * daprd's own HTTP API. Covers discovery and features (metadata API), two instances multiplexed on one socket by
 * `x-component-instance`, state with ETags (daprd's reading of our error details: 409 on a mismatch), first-write,
 * bulk, transactions, TTL, the query API, pub/sub delivery and bulk publish, secrets, and daprd's own outbox running
 * on our state store and pub/sub. No daprd binary: skipped with the reason locally, a failure with CI=true.
 * Debugging: DAPRKIT_DAPRD_LOG_LEVEL=debug and DAPRKIT_DAPRD_LOG_TAIL=<chars> widen what a timeout prints.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { join } from 'node:path';
import { type PluginProcess, startPluginProcess } from '@daprkit/component-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const DAPRD =
  process.env.DAPRKIT_DAPRD ??
  join(process.env.DAPRKIT_CACHE_DIR ?? join(process.env.HOME ?? '/root', '.cache/daprkit'), 'bin/daprd-1.16.0');
const PLUGINS = [
  { bin: 'packages/state-memory/bin/daprkit-state-memory.js', socket: 'memstate' },
  { bin: 'packages/pubsub-memory/bin/daprkit-pubsub-memory.js', socket: 'mempubsub' },
  { bin: 'packages/secretstores-local-file/bin/daprkit-secretstores-local-file.js', socket: 'localfile' },
];
const missing = [
  ...(existsSync(DAPRD) ? [] : [`no daprd at ${DAPRD} (build it: bash scripts/daprd.sh)`]),
  ...PLUGINS.filter((p) => !existsSync(join(root, p.bin.replace(/bin\/.*$/, 'dist/index.js')))).map(
    (p) => `${p.bin.split('/')[1]} is not built (pnpm build)`,
  ),
];
if (missing.length > 0 && process.env.CI === 'true') throw new Error(`daprd interop needs: ${missing.join('; ')}`);
const suite = missing.length === 0 ? describe : describe.skip;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createTcpServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const component = (name: string, type: string, metadata: Record<string, string> = {}) =>
  `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: ${type}
  version: v1
  metadata:
${
  Object.entries(metadata)
    .map(([k, v]) => `    - name: ${k}\n      value: ${JSON.stringify(v)}`)
    .join('\n') || '    []'
}
`;

interface Delivery {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

let daprd: ChildProcess | undefined;
let daprdLogs = '';
let httpPort = 0;
let app: Server | undefined;
const plugins: PluginProcess[] = [];
const deliveries: Delivery[] = [];

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`http://127.0.0.1:${httpPort}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, text, json: json as Record<string, unknown> };
}

async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}\n--- daprd log (end)\n${daprdLogs.slice(-(Number(process.env.DAPRKIT_DAPRD_LOG_TAIL) || 4000))}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

suite(`a real daprd with daprkit plugins${missing.length ? ` (SKIPPED: ${missing.join('; ')})` : ''}`, () => {
  beforeAll(async () => {
    const sockets = await mkdtemp('/tmp/dk-daprd-');
    for (const p of PLUGINS)
      plugins.push(await startPluginProcess(join(root, p.bin), join(sockets, `${p.socket}.sock`)));

    const appPort = await freePort();
    app = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/dapr/subscribe') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify([
              { pubsubname: 'pubsub', topic: 'orders', route: '/orders' },
              { pubsubname: 'pubsub', topic: 'outbox-orders', route: '/outbox-orders' },
            ]),
          );
          return;
        }
        const raw = Buffer.concat(chunks).toString();
        if (req.method === 'POST' && raw.length > 0)
          deliveries.push({
            path: req.url ?? '',
            headers: req.headers,
            body: JSON.parse(raw) as Record<string, unknown>,
          });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'SUCCESS' }));
      });
    });
    await new Promise<void>((resolve) => app!.listen(appPort, '127.0.0.1', resolve));

    const resources = await mkdtemp('/tmp/dk-daprd-res-');
    const secretsFile = join(resources, 'secrets.json');
    await writeFile(secretsFile, JSON.stringify({ dbpassword: 's3cret', apikey: 'k-123' }));
    await writeFile(
      join(resources, 'components.yaml'),
      [
        component('store-a', 'state.memstate'),
        component('store-b', 'state.memstate'),
        component('outboxstore', 'state.memstate', {
          outboxPublishPubsub: 'pubsub',
          outboxPublishTopic: 'outbox-orders',
        }),
        component('pubsub', 'pubsub.mempubsub'),
        component('secretstore', 'secretstores.localfile', { secretsFile }),
      ].join('---\n'),
    );
    const [grpcPort, internalPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
    httpPort = await freePort();
    daprd = spawn(
      DAPRD,
      [
        ...['--app-id', 'interop', '--app-port', String(appPort), '--app-protocol', 'http'],
        ...['--dapr-http-port', String(httpPort), '--dapr-grpc-port', String(grpcPort)],
        ...['--dapr-internal-grpc-port', String(internalPort), '--metrics-port', String(metricsPort)],
        ...[
          '--dapr-listen-addresses',
          '127.0.0.1',
          '--resources-path',
          resources,
          '--log-level',
          process.env.DAPRKIT_DAPRD_LOG_LEVEL ?? 'info',
        ],
        ...['--dapr-graceful-shutdown-seconds', '1'],
      ],
      { env: { ...process.env, DAPR_COMPONENTS_SOCKETS_FOLDER: sockets }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    daprd.stdout?.on('data', (c: Buffer) => (daprdLogs += c.toString()));
    daprd.stderr?.on('data', (c: Buffer) => (daprdLogs += c.toString()));
    await waitFor(
      async () => ((await api('GET', '/v1.0/healthz').catch(() => ({ status: 0 }))).status === 204 ? true : undefined),
      'daprd to become healthy',
      60_000,
    );
  }, 90_000);

  afterAll(async () => {
    if (daprd && daprd.exitCode === null) {
      const exited = new Promise((r) => daprd!.once('exit', r));
      daprd.kill('SIGTERM');
      const timer = setTimeout(() => daprd?.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await Promise.all(plugins.map((p) => p.kill()));
    await new Promise((r) => (app ? app.close(r) : r(undefined)));
  });

  it('discovers the sockets by reflection and reports each component with its features', async () => {
    const { json } = await api('GET', '/v1.0/metadata');
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
    const event = await waitFor(() => deliveries.find((d) => d.path === '/orders'), 'delivery of orderId 7');
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
      () => (deliveries.filter((d) => d.path === '/orders').length === 3 ? true : undefined),
      'the bulk-published events',
    );
    const ids = deliveries.filter((d) => d.path === '/orders').map((d) => (d.body.data as { orderId: number }).orderId);
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
    const event = await waitFor(() => deliveries.find((d) => d.path === '/outbox-orders'), 'the outbox event', 30_000);
    expect(event.body).toMatchObject({ data: { orderId: 1 }, topic: 'outbox-orders' });
    expect(String(event.body.id)).toMatch(/^outbox-/);
  });
});
