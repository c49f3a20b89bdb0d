/**
 * One SQLite file, three writers: daprd v1.16 with its built-in `state.sqlite` (modernc driver), the same daprd with
 * @daprkit/state-sqlite as a plugin from its bin (`state.dk-sqlite`), and the daprkit sidecar with
 * @daprkit/state-sqlite in process. All share one app ID, so daprd's key prefix (`<appId>||key`) is the same and
 * every one of them reads the others' rows: strings, JSON, binary (gRPC raw bytes), ETags (a stale one is refused
 * across replicas), TTL (expiry time and disappearance), transactions, and the raw rows in the file are checked
 * against contrib's layout. No daprd or unbuilt package: skipped with the reason locally, a failure with CI=true.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type PluginProcess, startPluginProcess } from '@daprkit/component-sdk/testing';
import { createSidecar, type Sidecar } from '@daprkit/sidecar';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { componentYaml, type Daprd, daprdMissing, REPO_ROOT, startDaprd } from './daprd-support.js';

const skipReason = daprdMissing(['state-sqlite', 'sidecar']);
const suite = skipReason === undefined ? describe : describe.skip;

// daprd's runtime gRPC API, through the protos and grpc-js the sidecar package ships.
const sidecarRequire = createRequire(join(REPO_ROOT, 'packages/sidecar/package.json'));
type GrpcClient = Record<string, (req: unknown, cb: (err: Error | null, res: unknown) => void) => void> & {
  close(): void;
};
function runtimeClient(port: number): GrpcClient {
  const grpc = sidecarRequire('@grpc/grpc-js');
  const loader = sidecarRequire('@grpc/proto-loader');
  const definition = loader.loadSync(['dapr/proto/runtime/v1/dapr.proto'], {
    includeDirs: [join(REPO_ROOT, 'packages/sidecar/proto')],
    keepCase: true,
    longs: Number,
    enums: Number,
    defaults: true,
    oneofs: true,
  });
  const Dapr = grpc.loadPackageDefinition(definition).dapr.proto.runtime.v1.Dapr;
  return new Dapr(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}
const call = <T>(client: GrpcClient, method: string, req: unknown) =>
  new Promise<T>((resolve, reject) => client[method]!(req, (err, res) => (err ? reject(err) : resolve(res as T))));

const run = randomUUID().slice(0, 8);
const appId = `sqlite-interop-${run}`;
let dir: string;
let file: string;
let daprd: Daprd;
let sidecar: Sidecar;
let plugin: PluginProcess;
let daprdGrpc: GrpcClient;
let sidecarGrpc: GrpcClient;

type Side = 'go' | 'plugin' | 'daprkit';
const SIDES: Side[] = ['go', 'plugin', 'daprkit'];

async function api(side: Side, method: string, path: string, body?: unknown) {
  if (side !== 'daprkit') {
    const store = side === 'go' ? 'go-store' : 'dk-store';
    return daprd.api(method, path.replace('{store}', store), body);
  }
  const response = await fetch(`http://127.0.0.1:${sidecar.httpPort}${path.replace('{store}', 'store')}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const buffer = Buffer.from(await response.arrayBuffer());
  const text = buffer.toString();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, text, json: json as Record<string, unknown>, buffer };
}

const save = (side: Side, items: unknown[]) => api(side, 'POST', '/v1.0/state/{store}', items);
const get = (side: Side, key: string) => api(side, 'GET', `/v1.0/state/{store}/${key}`);
const rawBytes = async (side: Side, key: string) => {
  const port = side === 'daprkit' ? sidecar.httpPort : daprd.httpPort;
  const store = side === 'go' ? 'go-store' : side === 'plugin' ? 'dk-store' : 'store';
  const response = await fetch(`http://127.0.0.1:${port}/v1.0/state/${store}/${key}`);
  return { status: response.status, bytes: [...new Uint8Array(await response.arrayBuffer())] };
};

/** The row behind a key, read straight from the file (read-only connection). */
function row(key: string): Record<string, unknown> | undefined {
  const db = new Database(file, { readonly: true, timeout: 2_000 });
  try {
    return db
      .prepare(
        'SELECT value, is_binary, etag, expiration_time, typeof(value) AS vt, typeof(is_binary) AS bt FROM state WHERE key = ?',
      )
      .get(`${appId}||${key}`) as Record<string, unknown> | undefined;
  } finally {
    db.close();
  }
}

suite(`daprd state.sqlite and @daprkit/state-sqlite on one file${skipReason ? ` (SKIPPED: ${skipReason})` : ''}`, () => {
  beforeAll(async () => {
    dir = await mkdtemp('/tmp/dk-daprd-sqlite-');
    file = join(dir, 'shared.db');
    const sockets = join(dir, 'sockets');
    plugin = await startPluginProcess(
      join(REPO_ROOT, 'packages/state-sqlite/bin/daprkit-state-sqlite.js'),
      join(sockets, 'dk-sqlite.sock'),
    );
    const resources = join(dir, 'resources');
    await rm(resources, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(resources, { recursive: true }));
    await writeFile(
      join(resources, 'components.yaml'),
      [
        componentYaml('go-store', 'state.sqlite', { connectionString: file }),
        componentYaml('dk-store', 'state.dk-sqlite', { connectionString: file }),
      ].join('---\n'),
    );
    // daprd first: its built-in component creates and migrates the file; the daprkit replicas open a migrated file.
    daprd = await startDaprd({ appId, resourcesPath: resources, socketsFolder: sockets });
    sidecar = await createSidecar({
      appId,
      httpPort: 0,
      grpcPort: 0,
      components: [{ name: 'store', type: 'state.sqlite', metadata: { connectionString: `file:${file}` } }],
      logLevel: 'warn',
    });
    const grpcPort = /gRPC server is (?:running|listening) on (?:TCP address: [\d.]+:|port )(\d+)/.exec(daprd.logs());
    const match = grpcPort ?? /API gRPC server is running on port (\d+)/.exec(daprd.logs());
    if (match === null) throw new Error(`daprd's gRPC API port not found in its log:\n${daprd.logs().slice(-3000)}`);
    daprdGrpc = runtimeClient(Number(match[1]));
    sidecarGrpc = runtimeClient(sidecar.grpcPort!);
  }, 120_000);

  afterAll(async () => {
    daprdGrpc?.close();
    sidecarGrpc?.close();
    await daprd?.stop();
    await sidecar?.close();
    await plugin?.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('both implementations agree on the migrated schema (one migration level, one table)', () => {
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare("SELECT value FROM metadata WHERE key = 'migrations'").get()).toEqual({ value: '1' });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it.each(SIDES)('strings, JSON and numbers written by %s read alike everywhere, ETag included', async (writer) => {
    const key = (k: string) => `${writer}-${k}-${run}`;
    const values: [string, unknown][] = [
      ['str', 'hello "world" <&>'],
      ['obj', { b: 1, a: [1, 2, { c: null }], u: 'é€😀' }],
      ['num', 42.5],
      ['bool', true],
    ];
    expect(
      (
        await save(
          writer,
          values.map(([k, value]) => ({ key: key(k), value })),
        )
      ).status,
    ).toBe(204);
    for (const [k, value] of values) {
      const results = await Promise.all(SIDES.map((side) => get(side, key(k))));
      for (const [i, r] of results.entries()) {
        expect(r.status, `${SIDES[i]} reads ${writer}'s ${k}`).toBe(200);
        expect(r.json, `${SIDES[i]} reads ${writer}'s ${k}`).toEqual(value);
        expect(r.headers.get('etag')).toBe(results[0]!.headers.get('etag'));
      }
      expect(row(key(k))).toMatchObject({ is_binary: 0, vt: 'text', bt: 'integer', expiration_time: null });
    }
  });

  it.each(SIDES)('binary bytes saved by %s over gRPC are base64 rows every side returns verbatim', async (writer) => {
    const key = `${writer}-bin-${run}`;
    const bytes = [0, 1, 2, 0x7b, 0x80, 0xff];
    const client = writer === 'daprkit' ? sidecarGrpc : daprdGrpc;
    const store = writer === 'go' ? 'go-store' : writer === 'plugin' ? 'dk-store' : 'store';
    await call(client, 'SaveState', { store_name: store, states: [{ key, value: Buffer.from(bytes) }] });
    expect(row(key)).toMatchObject({ value: Buffer.from(bytes).toString('base64'), is_binary: 1 });
    for (const side of SIDES)
      expect(await rawBytes(side, key), `${side} reads ${writer}'s bytes`).toEqual({ status: 200, bytes });
  });

  it('an ETag from one replica guards writes on the others; a stale one is refused everywhere', async () => {
    const key = `etag-${run}`;
    expect((await save('go', [{ key, value: 1 }])).status).toBe(204);
    const etag1 = (await get('daprkit', key)).headers.get('etag')!;
    expect((await save('daprkit', [{ key, value: 2, etag: etag1 }])).status).toBe(204);
    // etag1 is stale now for daprd's own component and for the plugin.
    expect((await save('go', [{ key, value: 3, etag: etag1 }])).status).toBe(409);
    expect((await save('plugin', [{ key, value: 3, etag: etag1 }])).status).toBe(409);
    const etag2 = (await get('go', key)).headers.get('etag')!;
    expect(etag2).not.toBe(etag1);
    expect((await save('plugin', [{ key, value: 3, etag: etag2 }])).status).toBe(204);
    expect((await api('daprkit', 'DELETE', `/v1.0/state/{store}/${key}`, undefined)).status).toBe(204);
    expect((await get('go', key)).status).toBe(204);
    // first-write: a key that exists (written by daprd) cannot be first-written by daprkit.
    expect((await save('go', [{ key, value: 'x' }])).status).toBe(204);
    expect((await save('daprkit', [{ key, value: 'y', options: { concurrency: 'first-write' } }])).status).toBe(409);
  });

  it.each(SIDES)('a TTL set by %s shows the same expiry everywhere and hides the value once past', async (writer) => {
    const long = `${writer}-ttl-long-${run}`;
    const short = `${writer}-ttl-short-${run}`;
    expect(
      (
        await save(writer, [
          { key: long, value: 'l', metadata: { ttlInSeconds: '3600' } },
          { key: short, value: 's', metadata: { ttlInSeconds: '1' } },
        ])
      ).status,
    ).toBe(204);
    const expiry = row(long)!.expiration_time as string;
    expect(expiry).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    const expected = `${expiry.replace(' ', 'T')}Z`;
    for (const side of SIDES) {
      const r = await get(side, long);
      expect(r.json).toBe('l');
      expect(r.headers.get('metadata.ttlexpiretime'), `${side} reports ${writer}'s expiry`).toBe(expected);
    }
    await daprd.waitFor(
      async () => {
        const statuses = await Promise.all(SIDES.map(async (side) => (await get(side, short)).status));
        return statuses.every((s) => s === 204) ? true : undefined;
      },
      `${writer}'s 1 s TTL to hide the value on every side`,
      10_000,
    );
  });

  it('a transaction applied by daprkit is seen whole by daprd, and the other way round', async () => {
    const k = (n: string) => `tx-${n}-${run}`;
    expect((await save('go', [{ key: k('gone'), value: 0 }])).status).toBe(204);
    const tx = (side: Side, operations: unknown[]) =>
      api(side, 'POST', '/v1.0/state/{store}/transaction', { operations });
    expect(
      (
        await tx('daprkit', [
          { operation: 'upsert', request: { key: k('a'), value: { n: 1 } } },
          { operation: 'delete', request: { key: k('gone') } },
        ])
      ).status,
    ).toBe(204);
    expect((await get('go', k('a'))).json).toEqual({ n: 1 });
    expect((await get('go', k('gone'))).status).toBe(204);
    expect(
      (
        await tx('go', [
          { operation: 'upsert', request: { key: k('b'), value: 'b' } },
          { operation: 'upsert', request: { key: k('a'), value: { n: 2 } } },
        ])
      ).status,
    ).toBe(204);
    const bulk = await api('daprkit', 'POST', '/v1.0/state/{store}/bulk', { keys: [k('a'), k('b'), k('gone')] });
    const values = Object.fromEntries(
      (bulk.json as unknown as { key: string; data?: unknown }[]).map((item) => [item.key, item.data]),
    );
    expect(values).toEqual({ [k('a')]: { n: 2 }, [k('b')]: 'b', [k('gone')]: undefined });
  });
});
