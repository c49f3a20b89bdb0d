/**
 * The bindings catalog (cron, http, localstorage, redis) as plugins from their bins behind a real daprd 1.16, each
 * next to daprd's built-in contrib component of the same type, same backend: cron ticks reach the app through daprd
 * (OPTIONS probe, POST /<name>, metadata as headers); output bindings are invoked through daprd's binding API
 * (`POST /v1.0/bindings/<name>`, whose data daprd JSON-re-encodes, card X.2) and answer what contrib answers.
 * No daprd, unbuilt packages or no Redis: skipped with the reason locally, a failure with CI=true.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, realpath, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PluginProcess, startPluginProcess } from '@daprkit/component-sdk/testing';
import { probeRedis, REDIS_HOST } from '@daprkit/redis-common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { componentYaml, type Daprd, daprdMissing, REPO_ROOT, startDaprd } from './daprd-support.js';

const PACKAGES = ['bindings-cron', 'bindings-http', 'bindings-localstorage', 'bindings-redis'];
const redisReason = await probeRedis().then(
  () => undefined,
  (err: Error) => `Redis unreachable at ${REDIS_HOST}: ${err.message}`,
);
if (redisReason && process.env.CI === 'true') throw new Error(redisReason);
const skipReason = daprdMissing(PACKAGES) ?? redisReason;
const suite = skipReason === undefined ? describe : describe.skip;
const GO_UTC = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,9})? \+0000 UTC$/;

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTP server recording every request; answers per path (the app, and the endpoint bindings.http calls). */
async function recordingServer(
  answer: (req: Seen) => { status: number; body?: string; headers?: Record<string, string> },
) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(r);
      const a = answer(r);
      res.writeHead(a.status, a.headers);
      res.end(a.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const run = randomUUID().slice(0, 8);
let daprd: Daprd;
let app: Awaited<ReturnType<typeof recordingServer>>;
let endpoint: Awaited<ReturnType<typeof recordingServer>>;
let oursRoot: string;
let contribRoot: string;
const plugins: PluginProcess[] = [];

suite(`daprd 1.16 with the bindings catalog as plugins${skipReason ? ` (SKIPPED: ${skipReason})` : ''}`, () => {
  beforeAll(async () => {
    const sockets = await mkdtemp('/tmp/dk-daprd-bind-');
    const bin = (pkg: string) => join(REPO_ROOT, 'packages', pkg, 'bin', `daprkit-${pkg}.js`);
    plugins.push(
      ...(await Promise.all([
        startPluginProcess(bin('bindings-cron'), join(sockets, 'dk-cron.sock')),
        startPluginProcess(bin('bindings-http'), join(sockets, 'dk-http.sock')),
        startPluginProcess(bin('bindings-localstorage'), join(sockets, 'dk-localstorage.sock')),
        startPluginProcess(bin('bindings-redis'), join(sockets, 'dk-redis.sock')),
      ])),
    );
    app = await recordingServer((r) => ({
      status: r.method === 'OPTIONS' && r.url === '/not-subscribed' ? 404 : 200,
      body: '',
    }));
    endpoint = await recordingServer((r) => ({
      status: r.url.startsWith('/status/') ? Number(r.url.slice(8)) : 200,
      headers: { 'content-type': 'application/json', 'x-answer': 'yes' },
      body: JSON.stringify({ method: r.method, url: r.url, body: r.body, custom: r.headers['x-custom'] ?? null }),
    }));
    oursRoot = await realpath(await mkdtemp(join(tmpdir(), 'dk-daprd-ls-ours-')));
    contribRoot = await realpath(await mkdtemp(join(tmpdir(), 'dk-daprd-ls-contrib-')));
    const resources = await mkdtemp('/tmp/dk-daprd-bind-res-');
    const redis = { redisHost: REDIS_HOST, redisDB: '7' };
    const url = `http://127.0.0.1:${endpoint.port}`;
    await writeFile(
      join(resources, 'components.yaml'),
      [
        componentYaml('ticker', 'bindings.dk-cron', { schedule: '@every 1s' }),
        componentYaml('ticker-contrib', 'bindings.cron', { schedule: '@every 1s' }),
        componentYaml('not-subscribed', 'bindings.dk-cron', { schedule: '@every 1s' }),
        componentYaml('web', 'bindings.dk-http', { url }),
        componentYaml('web-contrib', 'bindings.http', { url }),
        componentYaml('files', 'bindings.dk-localstorage', { rootPath: oursRoot }),
        componentYaml('files-contrib', 'bindings.localstorage', { rootPath: contribRoot }),
        componentYaml('cache', 'bindings.dk-redis', redis),
        componentYaml('cache-contrib', 'bindings.redis', redis),
      ].join('---\n'),
    );
    daprd = await startDaprd({
      appId: `daprd-bind-${run}`,
      appPort: app.port,
      resourcesPath: resources,
      socketsFolder: sockets,
    });
  }, 120_000);

  afterAll(async () => {
    await daprd?.stop();
    await Promise.all(plugins.map((p) => p.kill()));
    await app?.close();
    await endpoint?.close();
  });

  const invoke = (name: string, operation: string, data?: unknown, metadata: Record<string, string> = {}) =>
    daprd.api('POST', `/v1.0/bindings/${name}`, { operation, data, metadata });
  /**
   * daprd answers an empty result of a *pluggable* output binding with 200 and no body, where a built-in component
   * returning nothing gets 204: its pluggable wrapper never hands a nil response to the HTTP API. Not something a
   * plugin can change; compared as the same answer here (and pinned by the test below).
   */
  const status = (r: { status: number; text: string }) => (r.status === 200 && r.text === '' ? 204 : r.status);

  it('daprd: an empty pluggable binding result is 200 with no body, a built-in one 204 (daprd behaviour)', async () => {
    const key = `daprd-bind-empty-${run}`;
    const ours = await invoke('cache', 'delete', undefined, { key });
    const theirs = await invoke('cache-contrib', 'delete', undefined, { key });
    expect([ours.status, ours.text]).toEqual([200, '']);
    expect([theirs.status, theirs.text]).toEqual([204, '']);
  });

  it('cron ticks reach the app through daprd like contrib cron: POST /<name>, no body, the same metadata headers', async () => {
    const posts = (name: string) => app.seen.filter((r) => r.method === 'POST' && r.url === `/${name}`);
    await daprd.waitFor(
      () => (posts('ticker').length >= 2 && posts('ticker-contrib').length >= 1 ? true : undefined),
      'cron ticks at the app',
      15_000,
    );
    expect(app.seen.some((r) => r.method === 'OPTIONS' && r.url === '/ticker')).toBe(true);
    const ours = posts('ticker')[0]!;
    const theirs = posts('ticker-contrib')[0]!;
    expect(ours.body).toBe(theirs.body);
    expect(ours.body).toBe('');
    expect(ours.headers.timezone).toBe(theirs.headers.timezone);
    expect(ours.headers.readtimeutc).toMatch(GO_UTC);
    expect(theirs.headers.readtimeutc).toMatch(GO_UTC);
    expect(ours.headers['content-type']).toBe(theirs.headers['content-type']);
    // the app said 404 to the probe: daprd never reads that binding
    expect(app.seen.some((r) => r.method === 'OPTIONS' && r.url === '/not-subscribed')).toBe(true);
    expect(posts('not-subscribed')).toEqual([]);
  });

  it("cron's delete operation is served through daprd's binding API", async () => {
    const res = await invoke('ticker', 'delete');
    expect(status(res)).toBe(204);
    expect(res.headers.get('metadata.schedule')).toBe('@every 1s');
  });

  it('localstorage: same files and answers as contrib for strings, objects, base64-looking text and binary', async () => {
    const cases: [string, unknown][] = [
      ['string.txt', 'hello world'],
      ['object.json', { z: 1, a: [1.5, 'x'], m: { b: true } }],
      ['looks-base64.txt', 'test'],
      ['encoded.bin', Buffer.from([0, 1, 2, 250]).toString('base64')],
      ['number.txt', 42],
      ['nested/dir/file.txt', 'deep'],
    ];
    for (const [fileName, data] of cases) {
      const ours = await invoke('files', 'create', data, { fileName });
      const theirs = await invoke('files-contrib', 'create', data, { fileName });
      expect(status(ours), fileName).toBe(status(theirs));
      expect(ours.text, fileName).toBe(theirs.text);
      expect(await readFile(join(oursRoot, fileName)), fileName).toEqual(await readFile(join(contribRoot, fileName)));
      const got = await invoke('files', 'get', undefined, { fileName });
      const gotContrib = await invoke('files-contrib', 'get', undefined, { fileName });
      expect(got.text, fileName).toBe(gotContrib.text);
    }
    const list = (await invoke('files', 'list', undefined, { fileName: 'nested' })).json as unknown as string[];
    const listContrib = (await invoke('files-contrib', 'list', undefined, { fileName: 'nested' }))
      .json as unknown as string[];
    expect(list.map((p) => p.slice(oursRoot.length))).toEqual(listContrib.map((p) => p.slice(contribRoot.length)));
    // escapes stay inside the root, for both
    const escaped = await invoke('files', 'create', 'x', { fileName: '../../escaped.txt' });
    const escapeContrib = await invoke('files-contrib', 'create', 'x', { fileName: '../../escaped.txt' });
    expect(escaped.text).toBe(escapeContrib.text);
    expect(await readFile(join(oursRoot, 'escaped.txt'), 'utf8')).toBe('x');
    const missing = await invoke('files', 'get', undefined, { fileName: 'none' });
    const missingContrib = await invoke('files-contrib', 'get', undefined, { fileName: 'none' });
    expect(status(missing)).toBe(status(missingContrib));
    expect(missing.json.errorCode).toBe(missingContrib.json.errorCode);
    expect(status(await invoke('files', 'delete', undefined, { fileName: 'string.txt' }))).toBe(
      status(await invoke('files-contrib', 'delete', undefined, { fileName: 'string.txt' })),
    );
  });

  it('redis: what contrib stores is what we store, both ways (quotes kept, as daprd re-encodes the data)', async () => {
    const key = `daprd-bind-${run}`;
    for (const data of ['text', { b: 2, a: 1 }, 7]) {
      expect(status(await invoke('cache', 'create', data, { key: `${key}-ours` }))).toBe(204);
      expect(status(await invoke('cache-contrib', 'create', data, { key: `${key}-theirs` }))).toBe(204);
      const oursViaContrib = await invoke('cache-contrib', 'get', undefined, { key: `${key}-ours` });
      const theirsViaOurs = await invoke('cache', 'get', undefined, { key: `${key}-theirs` });
      expect(oursViaContrib.text).toBe(theirsViaOurs.text);
      expect(oursViaContrib.text).toBe(JSON.stringify(data).replace('{"b":2,"a":1}', '{"a":1,"b":2}'));
    }
    await invoke('cache', 'increment', undefined, { key: `${key}-n`, ttlInSeconds: '60' });
    await invoke('cache-contrib', 'increment', undefined, { key: `${key}-n` });
    expect((await invoke('cache', 'get', undefined, { key: `${key}-n`, delete: 'true' })).text).toBe('2');
    expect(status(await invoke('cache-contrib', 'get', undefined, { key: `${key}-n` }))).toBe(204);
    for (const k of [`${key}-ours`, `${key}-theirs`]) await invoke('cache', 'delete', undefined, { key: k });
    const noKey = await invoke('cache', 'get');
    const noKeyContrib = await invoke('cache-contrib', 'get');
    expect(status(noKey)).toBe(status(noKeyContrib));
    // daprd wraps a plugin's error as `rpc error: code = InvalidArgument desc = <ours>`; the component text is contrib's
    expect(noKeyContrib.json.message).toBe(
      'error invoking output binding cache-contrib: redis binding: missing key in request metadata',
    );
    expect(noKey.json.message).toBe(
      'error invoking output binding cache: rpc error: code = InvalidArgument desc = redis binding: missing key in request metadata',
    );
  });

  it('http: same request at the endpoint and the same answer (body, statusCode, headers) as contrib', async () => {
    for (const [operation, metadata] of [
      ['post', { path: '/orders', 'X-Custom': 'c1' }],
      ['get', { path: 'items/1' }],
      ['delete', { path: 'items/1' }],
    ] as [string, Record<string, string>][]) {
      const before = endpoint.seen.length;
      const ours = await invoke('web', operation, { n: 1 }, metadata);
      const theirs = await invoke('web-contrib', operation, { n: 1 }, metadata);
      const [a, b] = endpoint.seen.slice(before);
      expect(a!.method).toBe(b!.method);
      expect(a!.url).toBe(b!.url);
      expect(a!.body).toBe(b!.body);
      expect(a!.headers['content-type']).toBe(b!.headers['content-type']);
      expect(a!.headers.accept).toBe(b!.headers.accept);
      expect(a!.headers['x-custom']).toBe(b!.headers['x-custom']);
      expect(status(ours)).toBe(status(theirs));
      expect(ours.text).toBe(theirs.text);
      for (const h of ['metadata.statuscode', 'metadata.status', 'metadata.x-answer', 'metadata.content-type']) {
        expect(ours.headers.get(h), h).toBe(theirs.headers.get(h));
      }
    }
    const failing = await invoke('web', 'get', undefined, { path: 'status/503' });
    const failingContrib = await invoke('web-contrib', 'get', undefined, { path: 'status/503' });
    expect(status(failing)).toBe(status(failingContrib));
    expect(failing.json.errorCode).toBe(failingContrib.json.errorCode);
    expect(failing.json.message).toContain('received status code 503');
    const bad = await invoke('web', 'fetch');
    expect(bad.status).toBe(500);
    expect(bad.json.message).toContain('fetch');
  });
});
