/** S-QUERY Q1–Q5: the Dapr query language over the -struct scenarios written by S-CRUD-1. */
import { isQueryableStore, type QueryFilter, StateFeature } from '@daprkit/component-sdk';
import { check, checkEqual, step } from '../../harness/assert.js';
import { type ConformanceCase, NotApplicable, whenClaimed } from '../../harness/case.js';
import { advertisedFeatures, basicScenarios, checkStateValue } from '../fixtures.js';
import type { StateContext } from '../options.js';

interface QueryScenario {
  filter: (k: string) => QueryFilter;
  /** Suffixes of the expected keys, in the expected order. */
  expected: string[];
  /** Adds `partitionKey` metadata; runs only when PARTITION_KEY is advertised. */
  partitionKey?: (k: string) => string;
}

const matchStructOrDummy = (k: string): QueryFilter => ({ IN: { message: [`test${k}`, 'dummy'] } });

const Q: QueryScenario[] = [
  {
    filter: (k) => ({ OR: [{ EQ: { message: 'dummy' } }, matchStructOrDummy(k)] }),
    expected: ['-struct'],
  },
  {
    filter: (k) => ({
      AND: [
        { EQ: { message: `${k}message` } },
        { GTE: { 'product.value': 10 } },
        { LT: { 'product.value': 20 } },
        { NEQ: { status: 'INACTIVE' } },
      ],
    }),
    expected: ['-struct-operations'],
  },
  {
    filter: (k) => ({
      OR: [
        {
          AND: [{ EQ: { message: `${k}message` } }, { GT: { 'product.value': 11.1 } }, { EQ: { status: 'INACTIVE' } }],
        },
        { AND: [{ EQ: { message: `${k}message` } }, { LTE: { 'product.value': 0.5 } }, { EQ: { status: 'ACTIVE' } }] },
      ],
    }),
    expected: ['-struct-operations-inactive'],
  },
  {
    filter: (k) => ({ OR: [{ EQ: { message: `${k}test` } }, matchStructOrDummy(k)] }),
    expected: ['-struct', '-struct-2'],
  },
  {
    filter: (k) => ({ OR: [{ EQ: { message: `${k}test` } }, matchStructOrDummy(k)] }),
    expected: ['-struct-2'],
    partitionKey: (k) => `${k}-struct-2`,
  },
];

async function runQuery(c: StateContext, q: QueryScenario): Promise<void> {
  const features = advertisedFeatures(c);
  check(features.has(StateFeature.QueryAPI), 'QUERY_API is not advertised');
  if (q.partitionKey && !features.has(StateFeature.PartitionKey)) {
    throw new NotApplicable('not-claimed', 'the store does not advertise PARTITION_KEY');
  }
  const store = c.component;
  check(isQueryableStore(store), 'query() is not implemented');
  const metadata = {
    contentType: 'application/json',
    queryIndexName: 'qIndx',
    ...(q.partitionKey ? { partitionKey: q.partitionKey(c.base) } : {}),
  };
  const response = await step('query', () =>
    store.query({ query: { filter: q.filter(c.base), sort: [], page: { limit: 0 } }, metadata }),
  );
  const values = new Map(basicScenarios(c.base).map((s) => [s.suffix, s.value]));
  checkEqual(
    response.items.map((item) => item.key),
    q.expected.map((suffix) => c.key(suffix)),
    'result keys (in order)',
  );
  response.items.forEach((item, i) => {
    checkStateValue(item.data, values.get(q.expected[i]!), `result ${i} (${item.key})`);
  });
}

export const queryCases: ConformanceCase<StateContext>[] = Q.map((q, i) => ({
  id: `S-QUERY-${i + 1}`,
  title: `query Q${i + 1}${q.partitionKey ? ' with partitionKey' : ''}`,
  gate: whenClaimed('query'),
  run: (c) => runQuery(c, q),
}));
