/** S-TX-1..4 (gate `transaction`) and the [EXTENSION] rollback case. */
import {
  isTransactionalStore,
  StateFeature,
  type StateStore,
  type TransactionalStore,
  type TransactionOperation,
  toStateBytes,
} from '@daprkit/component-sdk';
import { check, describeValue, expectRejection, step } from '../../harness/assert.js';
import { type ConformanceCase, NotApplicable, notClaimed, whenClaimed } from '../../harness/case.js';
import {
  advertisedFeatures,
  checkNoData,
  checkStateValue,
  deleteRequest,
  getRequest,
  JSON_META,
  PARTITION_META,
  setRequest,
  TRX_VALUES,
  text,
} from '../fixtures.js';
import type { StateContext } from '../options.js';

function transactional(c: StateContext): StateStore & TransactionalStore {
  const store = c.component;
  check(isTransactionalStore(store), 'transact() is not implemented');
  return store;
}

const upsert = (key: string, value: unknown, metadata = {}): TransactionOperation => ({
  operation: 'upsert',
  request: setRequest(key, value, { metadata }),
});
const remove = (key: string): TransactionOperation => ({ operation: 'delete', request: deleteRequest(key) });

/** The four upstream transactions: suffixes upserted and deleted by each. */
const GROUPS: { upserts: string[]; deletes: string[] }[] = [
  { upserts: ['-trx-int', '-trx-bool', '-trx-bytes', '-trx-string', '-trx-to-be-deleted'], deletes: [] },
  { upserts: ['-trx-struct'], deletes: ['-trx-to-be-deleted'] },
  { upserts: ['-trx-to-be-deleted-too'], deletes: [] },
  { upserts: [], deletes: ['-trx-to-be-deleted-too'] },
];

export const transaction: ConformanceCase<StateContext> = {
  id: 'S-TX-1',
  title: 'four ordered transactions apply their upserts and deletes',
  gate: whenClaimed('transaction'),
  run: async (c) => {
    check(advertisedFeatures(c).has(StateFeature.Transactional), 'TRANSACTIONAL is not advertised');
    const store = transactional(c);
    for (const [i, group] of GROUPS.entries()) {
      const operations = [
        ...group.upserts.map((s) => upsert(c.key(s), TRX_VALUES[s])),
        ...group.deletes.map((s) => remove(c.key(s))),
      ];
      await step(`transaction ${i + 1}`, () => store.transact({ operations, metadata: { ...PARTITION_META } }));
      for (const s of group.upserts) {
        const response = await step(`get ${c.key(s)}`, () => store.get(getRequest(c.key(s), PARTITION_META)));
        checkStateValue(response.data, TRX_VALUES[s], `after transaction ${i + 1}: get ${c.key(s)}`);
      }
      for (const s of group.deletes) {
        const response = await step(`get ${c.key(s)}`, () => store.get(getRequest(c.key(s), PARTITION_META)));
        checkStateValue(response.data, undefined, `after transaction ${i + 1}: deleted ${c.key(s)}`);
      }
    }
  },
};

export const transactionDeleteMissing: ConformanceCase<StateContext> = {
  id: 'S-TX-2',
  title: 'a transaction deleting a missing key succeeds',
  gate: whenClaimed('transaction'),
  run: async (c) => {
    await transactional(c).transact({ operations: [remove('non-existent-key')], metadata: { ...PARTITION_META } });
  },
};

export const transactionOrder: ConformanceCase<StateContext> = {
  id: 'S-TX-3',
  title: 'operations inside a transaction apply in request order',
  gate: whenClaimed('transaction'),
  run: async (c) => {
    const store = transactional(c);
    const [key1, key2, key3] = [c.key('-key1'), c.key('-key2'), c.key('-key3')];
    await step('set key1', () => store.set(setRequest(key1, 'value1')));
    await step('delete key2', () => store.delete(deleteRequest(key2)));
    await step('delete key3', () => store.delete(deleteRequest(key3)));
    await step('transaction', () =>
      store.transact({
        operations: [remove(key1), upsert(key2, 'value2'), remove(key2), upsert(key3, 'value3')],
        metadata: {},
      }),
    );
    checkNoData(c, (await store.get(getRequest(key1))).data, 'key1 (deleted first)');
    checkNoData(c, (await store.get(getRequest(key2))).data, 'key2 (upserted then deleted)');
    checkStateValue((await store.get(getRequest(key3))).data, toStateBytes('value3'), 'key3');
  },
};

const GRPC_JSON = { id: 1223, name: 'test' };

/** RedisJSON stores raw bytes base64-encoded inside its document; upstream accepts that artefact. */
function checkJsonOrBase64Json(data: Uint8Array | undefined, what: string): void {
  const raw = text(data);
  if (raw.startsWith('"ey')) {
    const decoded = Buffer.from(JSON.parse(raw) as string, 'base64');
    checkStateValue(decoded, GRPC_JSON, `${what} (base64 JSON)`);
    return;
  }
  checkStateValue(data, GRPC_JSON, what);
}

export const transactionSerialization: ConformanceCase<StateContext> = {
  id: 'S-TX-4',
  title: 'transaction of raw JSON bytes with and without contentType',
  gate: whenClaimed('transaction'),
  run: async (c) => {
    if (!advertisedFeatures(c).has(StateFeature.QueryAPI)) {
      throw new NotApplicable('not-claimed', 'runs only for stores that also advertise QUERY_API');
    }
    const store = transactional(c);
    const bytes = new TextEncoder().encode(JSON.stringify(GRPC_JSON));
    const [withJson, withoutJson] = [c.key('-key-grpc'), c.key('-key-grpc-no-json')];
    await step('transaction', () =>
      store.transact({
        operations: [
          {
            operation: 'upsert',
            request: setRequest(withJson, bytes, { metadata: { ...JSON_META, ...PARTITION_META } }),
          },
          { operation: 'upsert', request: setRequest(withoutJson, bytes) },
        ],
        metadata: {},
      }),
    );
    checkJsonOrBase64Json((await store.get(getRequest(withJson, JSON_META))).data, `get ${withJson}`);
    checkJsonOrBase64Json((await store.get(getRequest(withoutJson))).data, `get ${withoutJson}`);
  },
};

/** [EXTENSION] transaction-rollback: a stale ETag inside a transaction leaves its earlier operations unapplied. */
export const transactionRollback: ConformanceCase<StateContext> = {
  id: 'S-X-TX-ROLLBACK',
  title: 'a transaction with a stale ETag applies nothing',
  gate: (c) =>
    whenClaimed<StateContext>('transaction')(c) ??
    whenClaimed<StateContext>('etag')(c) ??
    (c.config.transactionRollback ? undefined : notClaimed('declared non-atomic (config transactionRollback: false)')),
  run: async (c) => {
    const store = transactional(c);
    const [guarded, untouched, fresh] = [
      c.key('-rollback-guarded'),
      c.key('-rollback-untouched'),
      c.key('-rollback-new'),
    ];
    await step('setup', async () => {
      await store.set(setRequest(guarded, 'v1'));
      await store.set(setRequest(untouched, 'original'));
      await store.delete(deleteRequest(fresh));
    });
    const stale = (await store.get(getRequest(guarded))).etag;
    check(stale, 'get returned no ETag');
    await step('overwrite guarded key', () => store.set(setRequest(guarded, 'v2')));

    await expectRejection(
      () =>
        store.transact({
          operations: [
            upsert(untouched, 'changed'),
            upsert(fresh, 'new'),
            { operation: 'upsert', request: setRequest(guarded, 'v3', { etag: stale }) },
          ],
          metadata: {},
        }),
      'transaction with a stale ETag',
    );
    const after = async (key: string) => (await store.get(getRequest(key))).data;
    checkStateValue(await after(untouched), 'original', 'earlier upsert must be rolled back');
    const created = await after(fresh);
    check(
      created === undefined || created.length === 0,
      `earlier insert must be rolled back, found ${describeValue(created)}`,
    );
    checkStateValue(await after(guarded), 'v2', 'guarded key');
  },
};
