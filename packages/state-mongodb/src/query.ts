/**
 * The state query API as a MongoDB filter on `value.<path>` (contrib's translation), with plain query operators only:
 * EQ → equality, NEQ → `$ne`, IN → `$in`, GT/GTE/LT/LTE → range operators (string operands refused, as contrib),
 * AND/OR → `$and`/`$or`. Sort keys become `value.<key>` (DESC = -1), then `_id` so pages are stable; `page.limit` is
 * the limit and the token the decimal number of documents to skip.
 */
import { type FilterNode, InvalidArgumentError, parseQueryFilter, type Query } from '@daprkit/component-sdk';
import { Double } from 'mongodb';

type Filter = Record<string, unknown>;

const RANGE = { GT: '$gt', GTE: '$gte', LT: '$lt', LTE: '$lte' } as const;

/** Operands as contrib's Extended JSON filter gives them: numbers become doubles, which match ints too. */
const operand = (v: unknown): unknown =>
  typeof v === 'number' ? new Double(v) : Array.isArray(v) ? v.map(operand) : v;

function translate(node: FilterNode): Filter {
  switch (node.op) {
    case 'AND':
      return { $and: node.children.map(translate) };
    case 'OR':
      return { $or: node.children.map(translate) };
    case 'EQ':
      return { [`value.${node.field}`]: operand(node.value) };
    case 'NEQ':
      return { [`value.${node.field}`]: { $ne: operand(node.value) } };
    case 'IN':
      if (node.values.length === 0) throw new InvalidArgumentError(`empty IN operator for key "${node.field}"`);
      return { [`value.${node.field}`]: { $in: node.values.map(operand) } };
    default:
      if (typeof node.value === 'string') {
        throw new InvalidArgumentError(
          `unsupported type of value ${node.value}; string type not permitted (${node.op} on '${node.field}')`,
        );
      }
      return { [`value.${node.field}`]: { [RANGE[node.op]]: operand(node.value) } };
  }
}

export interface TranslatedQuery {
  filter: Filter | undefined;
  sort: [string, 1 | -1][];
  skip: number;
  limit: number;
}

export function translateQuery(query: Query): TranslatedQuery {
  const parsed = parseQueryFilter(query.filter);
  const token = query.page?.token;
  if (token !== undefined && token !== '' && !/^\d{1,15}$/.test(token)) {
    throw new InvalidArgumentError(`invalid page token '${token}'`);
  }
  return {
    filter: parsed ? translate(parsed) : undefined,
    sort: [
      ...(query.sort ?? []).map((s): [string, 1 | -1] => [`value.${s.key}`, s.order === 'DESC' ? -1 : 1]),
      ['_id', 1],
    ],
    skip: token ? Number(token) : 0,
    limit: query.page?.limit ?? 0,
  };
}
