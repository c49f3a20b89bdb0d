/** The query API over jsonb, with conformance.md's Q1–Q4 fixtures plus sorting, paging and rejection cases. */
import { randomUUID } from 'node:crypto';
import { InvalidArgumentError, type Query } from '@daprkit/component-sdk';
import { beforeAll, expect, it } from 'vitest';
import type { PostgresStateStore } from '../src/index.js';
import { describePostgres, parsed, setRequest, useDatabase } from './support/postgres.js';

describePostgres('PostgresStateStore.query', () => {
  const db = useDatabase();
  const K = randomUUID().replaceAll('-', '');
  const fixtures: Record<string, unknown> = {
    [`${K}-struct`]: { message: `test${K}` },
    [`${K}-struct-operations`]: { product: { value: 15 }, status: 'ACTIVE', message: `${K}message` },
    [`${K}-struct-operations-inactive`]: { product: { value: 12 }, status: 'INACTIVE', message: `${K}message` },
    [`${K}-struct-2`]: { message: `${K}test` },
    [`${K}-struct-with-int`]: { message: 42 },
    [`${K}-int`]: 123,
    [`${K}-string`]: 'hello world',
  };
  let store: PostgresStateStore;
  let tableName: string;
  beforeAll(async () => {
    ({ store, tableName } = await db.open());
    for (const [key, value] of Object.entries(fixtures)) {
      await store.set(setRequest(key, value, { metadata: { contentType: 'application/json' } }));
    }
    await store.set(setRequest(`${K}-bytes`, new Uint8Array([0x01])));
  });

  const run = (query: Partial<Query>) =>
    store.query({
      query: { sort: [], page: { limit: 0 }, ...query },
      metadata: { contentType: 'application/json', queryIndexName: 'qIndx' },
    });
  const keysOf = (response: { items: { key: string }[] }) => response.items.map((i) => i.key);

  it('Q1: OR of EQ and IN on a string field', async () => {
    const result = await run({
      filter: { OR: [{ EQ: { message: 'dummy' } }, { IN: { message: [`test${K}`, 'dummy'] } }] },
    });
    expect(keysOf(result)).toEqual([`${K}-struct`]);
    expect(parsed(result.items[0]!.data)).toEqual({ message: `test${K}` });
    expect(result.items[0]!.etag).toMatch(/^\d+$/);
  });

  it('Q2: AND of EQ, numeric range on a nested path and NEQ', async () => {
    const result = await run({
      filter: {
        AND: [
          { EQ: { message: `${K}message` } },
          { GTE: { 'product.value': 10 } },
          { LT: { 'product.value': 20 } },
          { NEQ: { status: 'INACTIVE' } },
        ],
      },
    });
    expect(keysOf(result)).toEqual([`${K}-struct-operations`]);
    expect(parsed(result.items[0]!.data)).toEqual(fixtures[`${K}-struct-operations`]);
  });

  it('Q3: OR of ANDs with fractional bounds', async () => {
    const result = await run({
      filter: {
        OR: [
          {
            AND: [
              { EQ: { message: `${K}message` } },
              { GT: { 'product.value': 11.1 } },
              { EQ: { status: 'INACTIVE' } },
            ],
          },
          {
            AND: [{ EQ: { message: `${K}message` } }, { LTE: { 'product.value': 0.5 } }, { EQ: { status: 'ACTIVE' } }],
          },
        ],
      },
    });
    expect(keysOf(result)).toEqual([`${K}-struct-operations-inactive`]);
  });

  it('Q4: two matches come back in key order', async () => {
    const result = await run({
      filter: { OR: [{ EQ: { message: `${K}test` } }, { IN: { message: [`test${K}`, 'dummy'] } }] },
    });
    expect(keysOf(result)).toEqual([`${K}-struct`, `${K}-struct-2`]);
  });

  it('compares JSON values, not text: 42 matches the number only', async () => {
    expect(keysOf(await run({ filter: { EQ: { message: 42 } } }))).toEqual([`${K}-struct-with-int`]);
    expect(keysOf(await run({ filter: { EQ: { message: '42' } } }))).toEqual([]);
    // A range over a field holding strings in other documents is no match there, never a cast error.
    expect(keysOf(await run({ filter: { GT: { message: 41 } } }))).toEqual([`${K}-struct-with-int`]);
  });

  it('sorts by JSON paths and pages with an offset token', async () => {
    const filter = { EQ: { message: `${K}message` } };
    const byValue = await run({ filter, sort: [{ key: 'product.value', order: 'DESC' }] });
    expect(keysOf(byValue)).toEqual([`${K}-struct-operations`, `${K}-struct-operations-inactive`]);
    const ascending = await run({ filter, sort: [{ key: 'product.value', order: 'ASC' }] });
    expect(keysOf(ascending)).toEqual([`${K}-struct-operations-inactive`, `${K}-struct-operations`]);

    const all = keysOf(await run({}));
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await run({ page: { limit: 3, ...(token ? { token } : {}) } });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...keysOf(page));
      token = page.token;
      pages++;
    } while (token !== undefined && pages < 100);
    expect(seen).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 3));
  });

  it('skips binary and expired rows', async () => {
    const all = keysOf(await run({}));
    expect(all).not.toContain(`${K}-bytes`);
    expect(all).toEqual(expect.arrayContaining(Object.keys(fixtures)));

    await store.set(setRequest(`${K}-expiring`, { message: `${K}gone` }, { metadata: { ttlInSeconds: '100' } }));
    expect(keysOf(await run({ filter: { EQ: { message: `${K}gone` } } }))).toEqual([`${K}-expiring`]);
    await db.admin.query(`UPDATE ${tableName} SET expiredate = now() - interval '1 second' WHERE key = $1`, [
      `${K}-expiring`,
    ]);
    expect(keysOf(await run({ filter: { EQ: { message: `${K}gone` } } }))).toEqual([]);
  });

  it('rejects invalid filters, string range operands and bad tokens', async () => {
    await expect(run({ filter: { NOPE: { a: 1 } } })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(run({ filter: { GT: { 'product.value': '10' } } })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(run({ page: { limit: 1, token: '-1' } })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
