import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  bulk,
  ETagMismatchError,
  FailedPreconditionError,
  InvalidMetadataError,
  StateFeature,
} from '@daprkit/component-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBStateStore, MULTI_MAX_SIZE } from '../src/index.js';
import { buildItem, expiryFor, newEtag, readItem } from '../src/items.js';
import {
  bytes,
  createTable,
  describeWithAws,
  dropTable,
  openStore,
  rawClient,
  setRequest,
  storeProperties,
  text,
} from './support/dynamodb.js';

describe('item rules (no server)', () => {
  it('etags are random uint64 in lowercase hex without padding', () => {
    for (let i = 0; i < 50; i++) expect(newEtag()).toMatch(/^[0-9a-f]{1,16}$/);
  });

  it('stores UTF-8 values as S and other bytes as B, and reads both', () => {
    const s = buildItem('key', 'k', bytes('{"a":1}'), 'e', undefined, undefined);
    expect(s).toEqual({ key: { S: 'k' }, value: { S: '{"a":1}' }, etag: { S: 'e' } });
    const b = buildItem('pk', 'k', new Uint8Array([0xff, 0]), 'e', 'exp', 100);
    expect(b.value).toEqual({ B: new Uint8Array([0xff, 0]) });
    expect(b.exp).toEqual({ N: '100' });
    expect(text(readItem(s, undefined, 0).data)).toBe('{"a":1}');
  });

  it('ttlInSeconds only counts with ttlAttributeName; 0/-1 mean no expiry; bad text is an error', () => {
    expect(expiryFor(undefined, { ttlInSeconds: 'garbage' })).toBeUndefined();
    expect(expiryFor('exp', { ttlInSeconds: '0' })).toBeUndefined();
    expect(expiryFor('exp', { ttlInSeconds: '-1' })).toBeUndefined();
    expect(expiryFor('exp', { ttlInSeconds: '10' })).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 9);
    expect(() => expiryFor('exp', { ttlInSeconds: '1.5' })).toThrow("'ttlInSeconds'");
  });

  it('treats an item whose expiry is not after now as missing', () => {
    const item = buildItem('key', 'k', bytes('v'), 'e', 'exp', 1000);
    expect(readItem(item, 'exp', 1000)).toEqual({});
    expect(readItem(item, 'exp', 999)).toMatchObject({
      etag: 'e',
      metadata: { ttlExpireTime: '1970-01-01T00:16:40.000Z' },
    });
  });

  it('checks the table first, with contrib’s text', async () => {
    await expect(new DynamoDBStateStore().init({ region: 'us-east-1' })).rejects.toThrow('missing dynamodb table name');
  });
});

describeWithAws('DynamoDB state store on the test server', () => {
  const client = rawClient();
  let table: string;
  let pkTable: string;
  let store: DynamoDBStateStore;

  beforeAll(async () => {
    table = await createTable(client);
    pkTable = await createTable(client, undefined, 'id');
    store = await openStore(table, { ttlAttributeName: 'expiresAt' });
  });

  afterAll(async () => {
    await store?.close();
    await dropTable(client, table);
    await dropTable(client, pkTable);
    client.destroy();
  });

  it('fails init naming the field for a missing table and a wrong partition key', async () => {
    const missing = await new DynamoDBStateStore().init(storeProperties(`${table}-missing`)).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(InvalidMetadataError);
    expect(String(missing)).toContain("metadata 'table'");
    const wrongKey = await new DynamoDBStateStore().init(storeProperties(pkTable)).catch((e: unknown) => e);
    expect(String(wrongKey)).toContain("metadata 'partitionKey'");
  });

  it('writes contrib’s layout, with a custom partitionKey too', async () => {
    await store.set(setRequest('app||layout', '{"n":1}', { metadata: { ttlInSeconds: '60' } }));
    const { Item } = await client.send(new GetItemCommand({ TableName: table, Key: { key: { S: 'app||layout' } } }));
    expect(Object.keys(Item!).sort()).toEqual(['etag', 'expiresAt', 'key', 'value']);
    expect(Item!.value).toEqual({ S: '{"n":1}' });
    expect(Number(Item!.expiresAt!.N)).toBeGreaterThan(Date.now() / 1000 + 50);
    const custom = await openStore(pkTable, { partitionKey: 'id' });
    await custom.set(setRequest('app||pk', 'x'));
    const got = await client.send(new GetItemCommand({ TableName: pkTable, Key: { id: { S: 'app||pk' } } }));
    expect(got.Item?.value).toEqual({ S: 'x' });
    await custom.close();
    expect(store.features()).toEqual([StateFeature.ETag, StateFeature.TTL]);
    expect((await openStore(pkTable, { partitionKey: 'id' })).features()).toEqual([StateFeature.ETag]);
  });

  it('reads items written by contrib (S value, etag) and hides expired ones', async () => {
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: { key: { S: 'app||contrib' }, value: { S: '"hi"' }, etag: { S: '1a2b' } },
      }),
    );
    expect(await store.get({ key: 'app||contrib', metadata: {} })).toMatchObject({ etag: '1a2b' });
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: { key: { S: 'app||old' }, value: { S: 'x' }, etag: { S: '1' }, expiresAt: { N: '1000' } },
      }),
    );
    expect(await store.get({ key: 'app||old', metadata: {} })).toEqual({});
  });

  it('transactions keep only the last operation per key and refuse more than 100 distinct keys', async () => {
    await store.transact({
      metadata: {},
      operations: [
        { operation: 'delete', request: { key: 'app||tx', metadata: {}, options: {} } },
        { operation: 'upsert', request: setRequest('app||tx', 'last') },
      ],
    });
    expect(text((await store.get({ key: 'app||tx', metadata: {} })).data)).toBe('last');
    expect(store.multiMaxSize()).toBe(MULTI_MAX_SIZE);
    const many = Array.from({ length: MULTI_MAX_SIZE + 1 }, (_, i) => ({
      operation: 'upsert' as const,
      request: setRequest(`app||many-${i}`, 'v'),
    }));
    await expect(store.transact({ metadata: {}, operations: many })).rejects.toBeInstanceOf(FailedPreconditionError);
    await store.transact({ metadata: {}, operations: many.slice(0, MULTI_MAX_SIZE) });
    // A stale ETag on a delete aborts the whole transaction (contrib would drop the condition).
    const err = await store
      .transact({
        metadata: {},
        operations: [
          { operation: 'upsert', request: setRequest('app||many-0', 'changed') },
          { operation: 'delete', request: { key: 'app||many-1', etag: 'ffff', metadata: {}, options: {} } },
        ],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ETagMismatchError);
    expect(text((await store.get({ key: 'app||many-0', metadata: {} })).data)).toBe('v');
  });

  it('bulk get answers more than one BatchGetItem page, duplicates and missing keys included', async () => {
    const keys = Array.from({ length: 120 }, (_, i) => `app||bulk-${i}`);
    await bulk.set(
      store,
      keys.map((k) => setRequest(k, k)),
    );
    const requests = [...keys, 'app||bulk-0', 'app||nope'].map((key) => ({ key, metadata: {} }));
    const items = await store.bulkGet(requests);
    expect(items).toHaveLength(122);
    expect(items.map((i) => text(i.data))).toEqual([...keys, 'app||bulk-0', undefined]);
  });
});
