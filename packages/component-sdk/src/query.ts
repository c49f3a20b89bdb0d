/**
 * Dapr's state query language: parse and validate a user query, and evaluate it over parsed JSON documents.
 * Shared by every store that evaluates queries in process (state-memory) and by the sidecar's query API, so
 * validation errors read the same everywhere.
 *
 * Semantics (documented once, here):
 * - EQ / IN: JSON equality (deep for objects and arrays); the field must exist.
 * - NEQ: the field exists and is not equal (a missing field matches nothing, as in SQL).
 * - GT / GTE / LT / LTE: numbers against numbers, strings against strings (code-unit order); any other pairing is
 *   simply no match, so a document like `{"message": 42}` never breaks a string comparison.
 * - Field names are dot paths into the document (`person.org`; an integer segment indexes an array).
 */
import { InvalidArgumentError } from './errors.js';
import type { Query, QueryFilter, QuerySort } from './v1/state.js';

export type FilterNode =
  | { op: 'EQ' | 'NEQ' | 'GT' | 'GTE' | 'LT' | 'LTE'; field: string; value: unknown }
  | { op: 'IN'; field: string; values: unknown[] }
  | { op: 'AND' | 'OR'; children: FilterNode[] };

// ---------- parsing ----------

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/** `{"field": value}` with exactly one entry, as EQ/IN/... take it. */
function singleFieldOperand(op: string, operand: unknown): [string, unknown] {
  if (!isPlainObject(operand))
    throw new InvalidArgumentError(`${op} filter must be an object, got ${typeName(operand)}`);
  const entries = Object.entries(operand);
  if (entries.length !== 1) {
    throw new InvalidArgumentError(`${op} filter must contain a single key/value pair, got ${entries.length}`);
  }
  const [field, value] = entries[0]!;
  if (field === '') throw new InvalidArgumentError(`${op} filter key must not be empty`);
  return [field, value];
}

function parseFilterNode(unit: unknown): FilterNode {
  if (!isPlainObject(unit)) throw new InvalidArgumentError(`filter unit must be an object, got ${typeName(unit)}`);
  const entries = Object.entries(unit);
  if (entries.length !== 1) {
    throw new InvalidArgumentError(`filter unit must have a single operator, got ${entries.length}`);
  }
  const [op, operand] = entries[0]!;
  switch (op) {
    case 'AND':
    case 'OR': {
      if (!Array.isArray(operand))
        throw new InvalidArgumentError(`${op} filter must be an array, got ${typeName(operand)}`);
      // Dapr's own parser insists on two or more; accepting fewer would make the sidecar laxer than daprd.
      if (operand.length < 2) throw new InvalidArgumentError(`${op} filter must contain at least two entries`);
      return { op, children: operand.map(parseFilterNode) };
    }
    case 'IN': {
      const [field, values] = singleFieldOperand(op, operand);
      if (!Array.isArray(values))
        throw new InvalidArgumentError(`IN filter value must be an array, got ${typeName(values)}`);
      return { op, field, values };
    }
    case 'EQ':
    case 'NEQ': {
      const [field, value] = singleFieldOperand(op, operand);
      return { op, field, value };
    }
    case 'GT':
    case 'GTE':
    case 'LT':
    case 'LTE': {
      const [field, value] = singleFieldOperand(op, operand);
      if (typeof value !== 'number' && typeof value !== 'string') {
        throw new InvalidArgumentError(`${op} filter value must be a number or a string, got ${typeName(value)}`);
      }
      return { op, field, value };
    }
    default:
      throw new InvalidArgumentError(`unsupported filter "${op}"`);
  }
}

/**
 * Validates a contract filter and turns it into a tree. An absent or empty filter (the pluggable wire sends an
 * empty map when the user gave none) means "match everything" and yields undefined.
 */
export function parseQueryFilter(filter: QueryFilter | undefined): FilterNode | undefined {
  if (filter === undefined || Object.keys(filter).length === 0) return undefined;
  return parseFilterNode(filter);
}

function parseSort(sort: unknown): QuerySort[] {
  if (sort === undefined || sort === null) return [];
  if (!Array.isArray(sort)) throw new InvalidArgumentError(`"sort" must be an array, got ${typeName(sort)}`);
  return sort.map((entry, i) => {
    if (!isPlainObject(entry) || typeof entry.key !== 'string' || entry.key === '') {
      throw new InvalidArgumentError(`"sort[${i}]" must be an object with a non-empty string "key"`);
    }
    // daprd maps only the exact string "DESC" to descending; anything else (even "desc") is ascending.
    return { key: entry.key, order: entry.order === 'DESC' ? 'DESC' : 'ASC' };
  });
}

function parsePage(page: unknown): Query['page'] {
  if (page === undefined || page === null) return { limit: 0 };
  if (!isPlainObject(page)) throw new InvalidArgumentError(`"page" must be an object, got ${typeName(page)}`);
  const { limit = 0, token } = page;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0) {
    throw new InvalidArgumentError(`"page.limit" must be a non-negative integer`);
  }
  if (token !== undefined && typeof token !== 'string') {
    throw new InvalidArgumentError(`"page.token" must be a string, got ${typeName(token)}`);
  }
  return token === undefined || token === '' ? { limit } : { limit, token };
}

/**
 * Reads a user query document (`{filter, sort: [{key, order}], page: {limit, token}}`), given as JSON text or
 * already parsed, into the contract's Query. Everything is validated here, so a bad filter fails at the API.
 */
export function parseQuery(json: unknown): Query {
  let body = json;
  if (typeof json === 'string') {
    try {
      body = JSON.parse(json);
    } catch (err) {
      throw new InvalidArgumentError(`query is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (!isPlainObject(body)) throw new InvalidArgumentError(`query must be a JSON object, got ${typeName(body)}`);
  const query: Query = { sort: parseSort(body.sort), page: parsePage(body.page) };
  if (body.filter !== undefined) {
    parseFilterNode(body.filter); // validation only: the contract carries the user's filter object as is
    query.filter = body.filter as QueryFilter;
  }
  return query;
}

// ---------- evaluation ----------

/** The value at a dot path (`person.org`) inside a parsed JSON document; undefined when absent. */
export function jsonPath(document: unknown, path: string): unknown {
  let current = document;
  for (const segment of path.split('.')) {
    if (Array.isArray(current) && /^\d+$/.test(segment)) current = current[Number(segment)];
    else if (isPlainObject(current) && Object.hasOwn(current, segment)) current = current[segment];
    else return undefined;
  }
  return current;
}

function jsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEquals(v, b[i]));
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEquals(a[k], b[k]));
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sign of `actual - expected` when the two are comparable (both numbers or both strings), else undefined. */
function orderOf(actual: unknown, expected: unknown): number | undefined {
  if (typeof actual === 'number' && typeof expected === 'number') return Math.sign(actual - expected);
  if (typeof actual === 'string' && typeof expected === 'string') return compareStrings(actual, expected);
  return undefined;
}

/** Whether a parsed JSON document satisfies the filter; no filter matches everything. */
export function matchesFilter(node: FilterNode | undefined, document: unknown): boolean {
  if (node === undefined) return true;
  switch (node.op) {
    case 'AND':
      return node.children.every((child) => matchesFilter(child, document));
    case 'OR':
      return node.children.some((child) => matchesFilter(child, document));
    case 'IN': {
      const actual = jsonPath(document, node.field);
      return actual !== undefined && node.values.some((v) => jsonEquals(actual, v));
    }
    case 'EQ':
    case 'NEQ': {
      const actual = jsonPath(document, node.field);
      return actual !== undefined && jsonEquals(actual, node.value) === (node.op === 'EQ');
    }
    default: {
      const order = orderOf(jsonPath(document, node.field), node.value);
      if (order === undefined) return false;
      if (node.op === 'GT') return order > 0;
      if (node.op === 'GTE') return order >= 0;
      if (node.op === 'LT') return order < 0;
      return order <= 0;
    }
  }
}

// Mixed-type sort order: numbers, strings, booleans, null, objects/arrays, then missing values.
function typeRank(value: unknown): number {
  if (typeof value === 'number') return 0;
  if (typeof value === 'string') return 1;
  if (typeof value === 'boolean') return 2;
  if (value === null) return 3;
  if (value === undefined) return 5;
  return 4;
}

/** A total order over JSON values (plus undefined for "field missing"), ascending. */
export function compareForSort(a: unknown, b: unknown): number {
  const rank = typeRank(a) - typeRank(b);
  if (rank !== 0) return rank;
  if (typeof a === 'number') return Math.sign(a - (b as number));
  if (typeof a === 'string') return compareStrings(a, b as string);
  if (typeof a === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'object' && a !== null) return compareStrings(JSON.stringify(a), JSON.stringify(b));
  return 0; // both null or both missing
}

function pageOffset(token: string | undefined): number {
  if (token === undefined || token === '') return 0;
  if (!/^\d+$/.test(token)) throw new InvalidArgumentError(`invalid page token '${token}'`);
  return Number(token);
}

/**
 * Evaluates a query over documents: filter, stable multi-key sort (ties keep input order), then a page.
 * `page.limit` 0 means no limit. The token is an opaque offset; it is absent on the last page.
 */
export function runQuery<T extends { key: string; document: unknown }>(
  items: readonly T[],
  query: Query,
): { items: T[]; token?: string } {
  const filter = parseQueryFilter(query.filter);
  const offset = pageOffset(query.page?.token);
  const limit = query.page?.limit ?? 0;
  if (!Number.isInteger(limit) || limit < 0)
    throw new InvalidArgumentError('page limit must be a non-negative integer');

  const sort = query.sort ?? [];
  const matched = items
    .filter((item) => matchesFilter(filter, item.document))
    .map((item) => ({ item, sortValues: sort.map((s) => jsonPath(item.document, s.key)) }));
  if (sort.length > 0) {
    matched.sort((a, b) => {
      for (const [i, s] of sort.entries()) {
        const order = compareForSort(a.sortValues[i], b.sortValues[i]);
        if (order !== 0) return s.order === 'DESC' ? -order : order;
      }
      return 0;
    });
  }
  const end = limit > 0 ? offset + limit : matched.length;
  const page = matched.slice(offset, end).map((m) => m.item);
  return end < matched.length ? { items: page, token: String(end) } : { items: page };
}
