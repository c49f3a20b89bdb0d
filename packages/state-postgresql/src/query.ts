/**
 * Translates the SDK's parsed query (FilterNode tree, sort, page) into one parameterised SQL statement over the
 * `value` jsonb column. User values and field paths only ever travel as bind parameters.
 *
 * - EQ / NEQ / IN compare JSON values (`value #> path = $n::jsonb`), so 42 ≠ "42" and objects compare structurally;
 *   a missing field matches nothing (NEQ included).
 * - GT / GTE / LT / LTE compare numbers; a non-number document value is no match (never a cast error), and a string
 *   operand is rejected, as contrib does.
 * - Results are ordered by the sort keys (jsonb ordering), then by key, so pages are stable.
 */
import { type FilterNode, InvalidArgumentError, parseQueryFilter, type Query } from '@daprkit/component-sdk';
import { LIVE } from './statements.js';

export interface TranslatedQuery {
  text: string;
  values: unknown[];
  offset: number;
  /** 0 = no limit. One extra row is fetched to know whether a next page exists. */
  limit: number;
}

const RANGE_SQL = { GT: '>', GTE: '>=', LT: '<', LTE: '<=' } as const;

type Bind = (value: unknown) => string;

/** A dot path (`product.value`) as a text[] parameter for `#>` / `#>>`. */
function path(field: string, bind: Bind): string {
  return `${bind(field.split('.'))}::text[]`;
}

function condition(node: FilterNode, bind: Bind): string {
  switch (node.op) {
    case 'AND':
    case 'OR':
      return `(${node.children.map((child) => condition(child, bind)).join(` ${node.op} `)})`;
    case 'EQ':
    case 'NEQ':
      return `value #> ${path(node.field, bind)} ${node.op === 'EQ' ? '=' : '<>'} ${bind(JSON.stringify(node.value))}::jsonb`;
    case 'IN':
      return `value #> ${path(node.field, bind)} = ANY(${bind(node.values.map((v) => JSON.stringify(v)))}::jsonb[])`;
    default: {
      if (typeof node.value !== 'number') {
        throw new InvalidArgumentError(
          `unsupported ${node.op} operand for '${node.field}': ${typeof node.value} (this store compares numbers only)`,
        );
      }
      const p = path(node.field, bind);
      // CASE, not AND: SQL does not promise to evaluate the type guard before the cast.
      const number = `CASE WHEN jsonb_typeof(value #> ${p}) = 'number' THEN (value #>> ${p})::numeric END`;
      return `${number} ${RANGE_SQL[node.op]} ${bind(String(node.value))}::numeric`;
    }
  }
}

function pageOffset(token: string | undefined): number {
  if (token === undefined || token === '') return 0;
  if (!/^\d{1,15}$/.test(token)) throw new InvalidArgumentError(`invalid page token '${token}'`);
  return Number(token);
}

export function translateQuery(table: string, query: Query): TranslatedQuery {
  const values: unknown[] = [];
  const bind: Bind = (value) => `$${values.push(value)}`;
  const filter = parseQueryFilter(query.filter);
  // Binary values are not JSON documents, and expired rows are gone as far as readers are concerned.
  const where = ['NOT isbinary', LIVE, ...(filter ? [condition(filter, bind)] : [])];
  const order = [
    ...(query.sort ?? []).map((s) => `value #> ${path(s.key, bind)} ${s.order === 'DESC' ? 'DESC' : 'ASC'}`),
    'key',
  ];
  const offset = pageOffset(query.page?.token);
  const limit = query.page?.limit ?? 0;
  let text = `SELECT key, value::text AS value, xmin::text AS etag FROM ${table} WHERE ${where.join(' AND ')} ORDER BY ${order.join(', ')}`;
  if (limit > 0) text += ` LIMIT ${bind(limit + 1)}`;
  if (offset > 0) text += ` OFFSET ${bind(offset)}`;
  return { text, values, offset, limit };
}
