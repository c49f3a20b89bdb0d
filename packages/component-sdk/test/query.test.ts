import {
  compareForSort,
  InvalidArgumentError,
  jsonPath,
  matchesFilter,
  parseQuery,
  parseQueryFilter,
  type Query,
  type QueryFilter,
  runQuery,
} from '@daprkit/component-sdk';
import { describe, expect, it } from 'vitest';

// The S-QUERY fixture of conformance.md §1.2, with K standing for the run's base key.
const K = 'k7f3';
const fixture = [
  { key: `${K}-int`, document: 123 },
  { key: `${K}-string`, document: 'hello world' },
  { key: `${K}-struct`, document: { message: `test${K}` } },
  { key: `${K}-struct-operations`, document: { product: { value: 15 }, status: 'ACTIVE', message: `${K}message` } },
  {
    key: `${K}-struct-operations-inactive`,
    document: { product: { value: 12 }, status: 'INACTIVE', message: `${K}message` },
  },
  { key: `${K}-struct-2`, document: { message: `${K}test` } },
  { key: `${K}-struct-with-int`, document: { message: 42 } },
];

const keysOf = (filter: QueryFilter, sort: Query['sort'] = []) =>
  runQuery(fixture, { filter, sort, page: { limit: 0 } }).items.map((i) => i.key);

describe('conformance queries Q1–Q4', () => {
  it('Q1: OR of EQ and IN', () => {
    const filter = { OR: [{ EQ: { message: 'dummy' } }, { IN: { message: [`test${K}`, 'dummy'] } }] };
    expect(keysOf(filter)).toEqual([`${K}-struct`]);
  });

  it('Q2: AND of EQ, GTE, LT, NEQ on nested fields', () => {
    const filter = {
      AND: [
        { EQ: { message: `${K}message` } },
        { GTE: { 'product.value': 10 } },
        { LT: { 'product.value': 20 } },
        { NEQ: { status: 'INACTIVE' } },
      ],
    };
    expect(keysOf(filter)).toEqual([`${K}-struct-operations`]);
  });

  it('Q3: OR of ANDs with fractional bounds', () => {
    const filter = {
      OR: [
        {
          AND: [{ EQ: { message: `${K}message` } }, { GT: { 'product.value': 11.1 } }, { EQ: { status: 'INACTIVE' } }],
        },
        { AND: [{ EQ: { message: `${K}message` } }, { LTE: { 'product.value': 0.5 } }, { EQ: { status: 'ACTIVE' } }] },
      ],
    };
    expect(keysOf(filter)).toEqual([`${K}-struct-operations-inactive`]);
  });

  it('Q4: results keep input order without a sort', () => {
    const filter = { OR: [{ EQ: { message: `${K}test` } }, { IN: { message: [`test${K}`, 'dummy'] } }] };
    expect(keysOf(filter)).toEqual([`${K}-struct`, `${K}-struct-2`]);
  });

  it('a numeric message never matches a string comparison, and strings never match a numeric one', () => {
    expect(keysOf({ GT: { message: '' } })).not.toContain(`${K}-struct-with-int`);
    expect(keysOf({ GTE: { message: 0 } })).toEqual([`${K}-struct-with-int`]);
    expect(keysOf({ LT: { message: 'zzzz' } })).toEqual([
      `${K}-struct`,
      `${K}-struct-operations`,
      `${K}-struct-operations-inactive`,
      `${K}-struct-2`,
    ]);
  });
});

describe('matchesFilter', () => {
  const doc = { a: { b: [1, { c: 'x' }] }, n: null, obj: { x: 1, y: [2] } };

  it('EQ compares JSON values deeply and requires the field to exist', () => {
    expect(matchesFilter(parseQueryFilter({ EQ: { obj: { y: [2], x: 1 } } }), doc)).toBe(true);
    expect(matchesFilter(parseQueryFilter({ EQ: { obj: { x: 1 } } }), doc)).toBe(false);
    expect(matchesFilter(parseQueryFilter({ EQ: { n: null } }), doc)).toBe(true);
    expect(matchesFilter(parseQueryFilter({ EQ: { missing: null } }), doc)).toBe(false);
  });

  it('NEQ matches present, different values only', () => {
    expect(matchesFilter(parseQueryFilter({ NEQ: { 'a.b.1.c': 'y' } }), doc)).toBe(true);
    expect(matchesFilter(parseQueryFilter({ NEQ: { 'a.b.1.c': 'x' } }), doc)).toBe(false);
    expect(matchesFilter(parseQueryFilter({ NEQ: { missing: 'x' } }), doc)).toBe(false);
  });

  it('IN matches any listed value', () => {
    expect(matchesFilter(parseQueryFilter({ IN: { 'a.b.0': [3, 2, 1] } }), doc)).toBe(true);
    expect(matchesFilter(parseQueryFilter({ IN: { 'a.b.0': [] } }), doc)).toBe(false);
  });

  it('no filter matches everything', () => {
    expect(matchesFilter(parseQueryFilter(undefined), 'anything')).toBe(true);
    expect(matchesFilter(parseQueryFilter({}), 'anything')).toBe(true);
  });
});

describe('jsonPath', () => {
  it('walks objects and array indices, never the prototype', () => {
    expect(jsonPath({ person: { org: 'dapr' } }, 'person.org')).toBe('dapr');
    expect(jsonPath({ list: ['a', 'b'] }, 'list.1')).toBe('b');
    expect(jsonPath({ person: 'flat' }, 'person.org')).toBeUndefined();
    expect(jsonPath({}, 'constructor')).toBeUndefined();
    expect(jsonPath(7, 'x')).toBeUndefined();
  });
});

describe('compareForSort', () => {
  it('orders numbers, strings, booleans, null, objects, then missing', () => {
    const values = [undefined, { a: 1 }, null, true, false, 'b', 'a', 10, 2];
    expect([...values].sort(compareForSort)).toEqual([2, 10, 'a', 'b', false, true, null, { a: 1 }, undefined]);
  });
});

describe('runQuery sort and pagination', () => {
  const people = [
    { key: 'p1', document: { name: 'ann', age: 30, city: 'Oslo' } },
    { key: 'p2', document: { name: 'bob', age: 25, city: 'Rome' } },
    { key: 'p3', document: { name: 'cid', age: 30, city: 'Rome' } },
    { key: 'p4', document: { name: 'dan', city: 'Oslo' } },
    { key: 'p5', document: { name: 'eve', age: 41, city: 'Oslo' } },
  ];

  it('sorts ascending and descending on several keys, stably', () => {
    const asc = runQuery(people, { sort: [{ key: 'age', order: 'ASC' }], page: { limit: 0 } });
    expect(asc.items.map((p) => p.key)).toEqual(['p2', 'p1', 'p3', 'p5', 'p4']);
    const multi = runQuery(people, {
      sort: [
        { key: 'city', order: 'DESC' },
        { key: 'age', order: 'ASC' },
      ],
      page: { limit: 0 },
    });
    expect(multi.items.map((p) => p.key)).toEqual(['p2', 'p3', 'p1', 'p5', 'p4']);
  });

  it('pages with opaque tokens until the last page, which has none', () => {
    const sort: Query['sort'] = [{ key: 'name', order: 'ASC' }];
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = runQuery(people, { sort, page: token === undefined ? { limit: 2 } : { limit: 2, token } });
      seen.push(...page.items.map((p) => p.key));
      token = page.token;
      pages++;
    } while (token !== undefined);
    expect(seen).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
    expect(pages).toBe(3);
  });

  it('limit 0 returns everything with no token; an exact last page has no token either', () => {
    expect(runQuery(people, { sort: [], page: { limit: 0 } })).toEqual({ items: people });
    expect(runQuery(people, { sort: [], page: { limit: 5 } }).token).toBeUndefined();
  });

  it('rejects a token it did not issue', () => {
    expect(() => runQuery(people, { sort: [], page: { limit: 1, token: 'abc' } })).toThrow(InvalidArgumentError);
  });
});

describe('parseQuery', () => {
  it('maps the user document to the contract query; only exact "DESC" is descending', () => {
    const q = parseQuery(
      '{"filter":{"EQ":{"state":"CA"}},"sort":[{"key":"state","order":"DESC"},{"key":"id","order":"desc"},{"key":"x"}],"page":{"limit":10,"token":"2"}}',
    );
    expect(q).toEqual({
      filter: { EQ: { state: 'CA' } },
      sort: [
        { key: 'state', order: 'DESC' },
        { key: 'id', order: 'ASC' },
        { key: 'x', order: 'ASC' },
      ],
      page: { limit: 10, token: '2' },
    });
    expect(parseQuery({})).toEqual({ sort: [], page: { limit: 0 } });
  });

  it.each([
    ['unknown operator', { filter: { LIKE: { a: 'b' } } }, /unsupported filter "LIKE"/],
    ['AND with a non-array', { filter: { AND: { EQ: { a: 1 } } } }, /AND filter must be an array/],
    ['OR with one entry', { filter: { OR: [{ EQ: { a: 1 } }] } }, /OR filter must contain at least two entries/],
    ['EQ with two keys', { filter: { EQ: { a: 1, b: 2 } } }, /EQ filter must contain a single key\/value pair/],
    ['two operators in one unit', { filter: { EQ: { a: 1 }, IN: { b: [1] } } }, /single operator/],
    ['IN with a scalar', { filter: { IN: { a: 1 } } }, /IN filter value must be an array/],
    ['GT with an object', { filter: { GT: { a: {} } } }, /GT filter value must be a number or a string/],
    ['nested invalid unit', { filter: { AND: [{ EQ: { a: 1 } }, 'x'] } }, /filter unit must be an object/],
    ['empty filter', { filter: {} }, /single operator/],
    ['sort not an array', { sort: { key: 'a' } }, /"sort" must be an array/],
    ['sort without key', { sort: [{ order: 'ASC' }] }, /"sort\[0\]"/],
    ['negative limit', { page: { limit: -1 } }, /page.limit/],
    ['not an object', [1], /query must be a JSON object/],
    ['not JSON', '{filter', /not valid JSON/],
  ])('rejects %s with InvalidArgumentError', (_name, input, message) => {
    expect(() => parseQuery(input)).toThrow(InvalidArgumentError);
    expect(() => parseQuery(input)).toThrow(message);
  });

  it('parseQueryFilter validates contract filters the same way', () => {
    expect(() => parseQueryFilter({ EQ: { a: 1, b: 2 } })).toThrow(InvalidArgumentError);
    expect(parseQueryFilter({ AND: [{ EQ: { a: 1 } }, { IN: { b: [2] } }] })).toEqual({
      op: 'AND',
      children: [
        { op: 'EQ', field: 'a', value: 1 },
        { op: 'IN', field: 'b', values: [2] },
      ],
    });
  });
});
