/** Behaviour against the real server (FerretDB here): documents written by others, ETag and first-write edges. */
import { randomUUID } from 'node:crypto';
import { isETagError, type Logger, type SetRequest } from '@daprkit/component-sdk';
import { Int32, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoStateStore } from '../src/index.js';
import { MONGO_HOST, probeMongo } from './support/probe.js';

const unreachable = await probeMongo().then(
  () => undefined,
  (err: Error) => err.message || String(err),
);
if (unreachable !== undefined && process.env.CI === 'true') {
  throw new Error(`MongoDB/FerretDB is required in CI but unreachable at ${MONGO_HOST}: ${unreachable}`);
}

const database = `daprkit_test_${randomUUID().slice(0, 8)}`;
const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const text = (d: Uint8Array | undefined) => (d === undefined ? undefined : new TextDecoder().decode(d));
const set = (key: string, value: unknown, extra: Partial<SetRequest> = {}): SetRequest => ({
  key,
  value: encode(value),
  metadata: {},
  options: {},
  ...extra,
});
const get = (key: string) => ({ key, metadata: {} });

describe.skipIf(unreachable !== undefined)(
  `state-mongodb store${unreachable ? ` [skipped: ${unreachable}]` : ''}`,
  () => {
    let client: MongoClient;
    let store: MongoStateStore;
    const warnings: string[] = [];
    const logger = {
      debug() {},
      info() {},
      warn: (message: string) => warnings.push(message),
      error() {},
    } as unknown as Logger;
    const docs = () => client.db(database).collection<{ _id: string }>('state');

    beforeAll(async () => {
      client = new MongoClient(`mongodb://${MONGO_HOST}/`, { serverSelectionTimeoutMS: 3_000 });
      await client.connect();
      store = new MongoStateStore({ logger });
      await store.init({ host: MONGO_HOST, databaseName: database, collectionName: 'state' });
    });

    afterAll(async () => {
      await store?.close();
      await client
        ?.db(database)
        .dropDatabase()
        .catch(() => {});
      await client?.close();
    });

    it('creates the _ttl TTL index, or says plainly that the server has none', async () => {
      // A server that refused the index may not have created the collection yet.
      const indexes = await docs()
        .listIndexes()
        .toArray()
        .catch(() => []);
      const ttl = indexes.find((i) => i.key?._ttl === 1);
      if (ttl) expect(ttl.expireAfterSeconds).toBe(0);
      else expect(warnings.join('\n')).toMatch(/no TTL indexes/);
    });

    it('reads documents as contrib writes them (quoted strings, sub-documents, ints, dates)', async () => {
      const future = new Date(Date.now() + 3_600_000);
      await docs().insertMany([
        { _id: 'c-str', value: '"hello"', _etag: 'e1', _ttl: null },
        { _id: 'c-doc', value: { z: new Int32(1), a: { y: [1.5, 'x'] } }, _etag: 'e2', _ttl: future },
        { _id: 'c-gone', value: 1, _etag: 'e3', _ttl: new Date(Date.now() - 1_000) },
      ] as never[]);
      expect(await store.get(get('c-str'))).toEqual({ data: encode('hello'), etag: 'e1' });
      const d = await store.get(get('c-doc'));
      expect(text(d.data)).toBe('{"a":{"y":[1.5,"x"]},"z":1}');
      expect(d.metadata?.ttlExpireTime).toBe(`${future.toISOString().slice(0, 19)}Z`);
      expect(await store.get(get('c-gone'))).toEqual({});
      const bulk = await store.bulkGet([get('c-gone'), get('c-doc'), get('nope'), get('c-str')]);
      expect(bulk.map((b) => [b.key, b.etag])).toEqual([
        ['c-gone', undefined],
        ['c-doc', 'e2'],
        ['nope', undefined],
        ['c-str', 'e1'],
      ]);
    });

    it('an ETag never creates a document; first-write replaces only an expired one', async () => {
      await expect(store.set(set('e-missing', 1, { etag: randomUUID() }))).rejects.toSatisfy((e) =>
        isETagError(e, 'mismatch'),
      );
      expect(await docs().findOne({ _id: 'e-missing' })).toBeNull();
      await docs().insertOne({ _id: 'fw', value: 1, _etag: 'old', _ttl: new Date(Date.now() - 1_000) } as never);
      await expect(store.set(set('fw', 2, { etag: 'old' }))).rejects.toSatisfy((e) => isETagError(e, 'mismatch'));
      await store.set(set('fw', 3, { options: { concurrency: 'first-write' } }));
      expect(text((await store.get(get('fw'))).data)).toBe('3');
      await expect(store.set(set('fw', 4, { options: { concurrency: 'first-write' } }))).rejects.toSatisfy((e) =>
        isETagError(e, 'mismatch'),
      );
      const doc = await docs().findOne({ _id: 'fw' });
      expect(doc).toMatchObject({ value: 3, _ttl: null });
      expect((doc as unknown as { _etag: string })._etag).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('ttlInSeconds sets a BSON date; -1 and 0 clear it; bad values are refused', async () => {
      await store.set(set('t', 'v', { metadata: { ttlInSeconds: '120' } }));
      const ttl = ((await docs().findOne({ _id: 't' })) as unknown as { _ttl: Date })._ttl;
      expect(Math.abs(ttl.getTime() - (Date.now() + 120_000))).toBeLessThan(5_000);
      await store.set(set('t', 'v', { metadata: { ttlInSeconds: '-1' } }));
      expect(await docs().findOne({ _id: 't' })).toMatchObject({ _ttl: null });
      await expect(store.set(set('t', 'v', { metadata: { ttlInSeconds: 'x' } }))).rejects.toThrow(/ttlInSeconds/);
      await expect(store.set(set('', 'v'))).rejects.toThrow(/missing key/);
    });
  },
);
