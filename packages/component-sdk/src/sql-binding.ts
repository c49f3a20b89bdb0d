/**
 * The request handling contrib's SQL output bindings (bindings.postgres, bindings.mysql) share: operations
 * `exec`, `query`, `close`; request metadata `sql` and `params` (a JSON array of positional arguments); response
 * metadata `operation`, `sql`, `start-time`, `end-time`, `duration` (and `rows-affected` for exec). The driver
 * part (running the statement, encoding rows) stays in each package.
 */
import { FailedPreconditionError, InvalidArgumentError } from './errors.js';
import { goDurationString, goRfc3339Nano, nowEpochNs } from './go-time.js';
import type { InvokeRequest, InvokeResponse } from './v1/bindings.js';

export const SQL_BINDING_OPERATIONS = ['exec', 'query', 'close'] as const;

export interface SqlBindingDriver {
  /** True once `close` ran: every other operation then fails with `component is closed`. */
  isClosed(): boolean;
  /** Idempotent. */
  close(): Promise<void>;
  /** Rows affected, as the driver reports them. */
  exec(sql: string, params: unknown[]): Promise<number | bigint>;
  /** The response data: the rows, JSON-encoded as contrib encodes them. */
  query(sql: string, params: unknown[]): Promise<Uint8Array>;
}

const GO_KIND: Record<string, string> = { object: 'object', string: 'string', number: 'number', boolean: 'bool' };

/** `params` → positional arguments; Go's `json.Unmarshal` into `[]any` accepts an array or `null`. */
export function parseSqlParams(text: string | undefined): unknown[] {
  if (text === undefined || text === '') return [];
  const fail = (reason: string): never => {
    throw new InvalidArgumentError(`invalid metadata property params: failed to unserialize into an array: ${reason}`);
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return fail(`invalid JSON (${(err as Error).message})`);
  }
  if (value === null) return [];
  if (!Array.isArray(value))
    return fail(`json: cannot unmarshal ${GO_KIND[typeof value]} into Go value of type []interface {}`);
  return value;
}

/** One invocation, in contrib's order of checks; driver failures become `error executing query: …`. */
export async function invokeSqlBinding(driver: SqlBindingDriver, request: InvokeRequest): Promise<InvokeResponse> {
  // `close` succeeds even when the component is closed already.
  if (request.operation === 'close') {
    await driver.close();
    return {};
  }
  if (driver.isClosed()) throw new FailedPreconditionError('component is closed');
  const metadata = request.metadata ?? {};
  // Over the wire a missing metadata map arrives empty.
  if (Object.keys(metadata).length === 0) throw new InvalidArgumentError('metadata required');
  const sql = metadata.sql;
  if (sql === undefined || sql === '') throw new InvalidArgumentError('required metadata not set: sql');
  const params = parseSqlParams(metadata.params);
  const start = nowEpochNs();
  const responseMetadata: Record<string, string> = {
    operation: request.operation,
    sql,
    'start-time': goRfc3339Nano(start),
  };
  let data: Uint8Array | undefined;
  switch (request.operation) {
    case 'exec':
      responseMetadata['rows-affected'] = String(await driver.exec(sql, params));
      break;
    case 'query':
      data = await driver.query(sql, params);
      break;
    default:
      throw new InvalidArgumentError(`invalid operation type: ${request.operation}. Expected exec, query, or close`);
  }
  const end = nowEpochNs();
  responseMetadata['end-time'] = goRfc3339Nano(end);
  responseMetadata.duration = goDurationString(end - start);
  return data === undefined ? { metadata: responseMetadata } : { data, metadata: responseMetadata };
}
