/**
 * @daprkit/state-mongodb as a plugin from its bin behind daprd v1.16, on FerretDB v1.24.2 (the MongoDB-protocol
 * server scripts/services.sh provides), next to daprd's own built-in `state.mongodb` on the same server:
 * - the built-in component cannot start there: its init creates the `_ttl` TTL index, which FerretDB v1 does not
 *   implement (and its reads/writes use `$expr` and update pipelines FerretDB lacks) — asserted, so this file notices
 *   the day it works and a cross-read test can be added;
 * - the plugin serves daprd's state API (save, ETag read, stale ETag 409, first-write 409, bulk get, TTL, query,
 *   delete) and writes contrib's documents, checked with the driver behind daprd's back.
 * No daprd, unbuilt package or unreachable server: skipped with the reason locally, a failure with CI=true.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PluginProcess, startPluginProcess } from '@daprkit/component-sdk/testing';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MONGO_HOST, probeMongo } from '../../packages/state-mongodb/test/support/probe.js';
import { componentYaml, type Daprd, daprdMissing, REPO_ROOT, startDaprd } from './daprd-support.js';

const unreachable = await probeMongo().then(
  () => undefined,
  (err: Error) => `MongoDB/FerretDB unreachable at ${MONGO_HOST}: ${err.message}`,
);
if (unreachable !== undefined && process.env.CI === 'true') throw new Error(unreachable);
const skipReason = daprdMissing(['state-mongodb']) ?? unreachable;
const suite = skipReason === undefined ? describe : describe.skip;

const run = randomUUID().slice(0, 8);
const appId = `mongo-interop-${run}`;
const database = `daprkit_interop_${run}`;
let dir: string;
let daprd: Daprd;
let plugin: PluginProcess;
let client: MongoClient;

suite(`daprd with @daprkit/state-mongodb on FerretDB${skipReason ? ` (SKIPPED: ${skipReason})` : ''}`, () => {
  beforeAll(async () => {
    dir = await mkdtemp('/tmp/dk-daprd-mongo-');
    const sockets = join(dir, 'sockets');
    plugin = await startPluginProcess(
      join(REPO_ROOT, 'packages/state-mongodb/bin/daprkit-state-mongodb.js'),
      join(sockets, 'dk-mongodb.sock'),
    );
    const resources = join(dir, 'resources');
    await mkdir(resources, { recursive: true });
    const builtin = componentYaml('go-store', 'state.mongodb', { host: MONGO_HOST, databaseName: database }).replace(
      '  version: v1\n',
      '  version: v1\n  ignoreErrors: true\n',
    );
    await writeFile(
      join(resources, 'components.yaml'),
      [builtin, componentYaml('dk-store', 'state.dk-mongodb', { host: MONGO_HOST, databaseName: database })].join(
        '---\n',
      ),
    );
    daprd = await startDaprd({ appId, resourcesPath: resources, socketsFolder: sockets });
    client = new MongoClient(`mongodb://${MONGO_HOST}/`, { serverSelectionTimeoutMS: 3_000 });
    await client.connect();
  }, 120_000);

  afterAll(async () => {
    await daprd?.stop();
    await plugin?.kill();
    await client
      ?.db(database)
      .dropDatabase()
      .catch(() => {});
    await client?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("daprd's own state.mongodb cannot initialise on FerretDB v1 (no TTL indexes)", async () => {
    expect(daprd.logs()).toMatch(/go-store[\s\S]*error in creating ttl index[\s\S]*expireAfterSeconds/);
    const r = await daprd.api('POST', '/v1.0/state/go-store', [{ key: 'k', value: 1 }]);
    expect(r.status).toBeGreaterThanOrEqual(400);
  });

  it('the plugin serves the state API and writes contrib documents', async () => {
    const base = '/v1.0/state/dk-store';
    const key = `order-${run}`;
    const docs = client.db(database).collection<{ _id: string }>('daprCollection');
    expect((await daprd.api('POST', base, [{ key, value: { id: 1, name: 'a' } }])).status).toBe(204);
    const read = await daprd.api('GET', `${base}/${key}`);
    expect(read.json).toEqual({ id: 1, name: 'a' });
    const etag = read.headers.get('etag')!;
    expect(await docs.findOne({ _id: `${appId}||${key}` })).toEqual({
      _id: `${appId}||${key}`,
      value: { id: 1, name: 'a' },
      _etag: etag,
      _ttl: null,
    });
    expect((await daprd.api('POST', base, [{ key, value: 2, etag: randomUUID() }])).status).toBe(409);
    expect((await daprd.api('POST', base, [{ key, value: 'x', options: { concurrency: 'first-write' } }])).status).toBe(
      409,
    );
    expect((await daprd.api('POST', base, [{ key, value: { id: 2, name: 'b' }, etag }])).status).toBe(204);

    // Strings keep their JSON quotes in the document (contrib's `%q` form); TTLs are BSON dates.
    expect(
      (await daprd.api('POST', base, [{ key: `${key}-s`, value: 'hi', metadata: { ttlInSeconds: '3600' } }])).status,
    ).toBe(204);
    const s = await docs.findOne({ _id: `${appId}||${key}-s` });
    expect(s).toMatchObject({ value: '"hi"' });
    expect((s as unknown as { _ttl: Date })._ttl.getTime()).toBeGreaterThan(Date.now() + 3_500_000);
    const withTtl = await daprd.api('GET', `${base}/${key}-s`);
    expect(withTtl.json).toBe('hi');
    expect(withTtl.headers.get('metadata.ttlexpiretime')).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);

    const bulk = await daprd.api('POST', `${base}/bulk`, { keys: [key, `${key}-s`, `${key}-none`] });
    const values = Object.fromEntries(
      (bulk.json as unknown as { key: string; data?: unknown }[]).map((item) => [item.key, item.data]),
    );
    expect(values).toEqual({ [key]: { id: 2, name: 'b' }, [`${key}-s`]: 'hi', [`${key}-none`]: undefined });

    const q = await daprd.api('POST', `/v1.0-alpha1/state/dk-store/query`, {
      filter: { EQ: { name: 'b' } },
      sort: [{ key: 'id' }],
    });
    expect(q.status).toBe(200);
    expect((q.json.results as { key: string; data: unknown }[]).map((r) => [r.key, r.data])).toEqual([
      [key, { id: 2, name: 'b' }],
    ]);

    expect((await daprd.api('DELETE', `${base}/${key}`)).status).toBe(204);
    expect((await daprd.api('GET', `${base}/${key}`)).status).toBe(204);
    expect(await docs.findOne({ _id: `${appId}||${key}` })).toBeNull();
  });
});
