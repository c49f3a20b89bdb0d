/** Statement execution with a per-call timeout and driver errors mapped to the SDK's. */
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { operationError } from './driver-errors.js';
import type { StateRow } from './sql.js';

export type Param = string | number | null;
/** The pool, or the connection holding an open transaction. */
export type Executor = Pick<Pool | PoolConnection, 'execute' | 'query'>;

/**
 * `binary` = prepared statement (cached per connection); `text` = client-side escaping, for statements whose
 * shape varies per call (a prepared statement per IN-list length would pile up on the server).
 */
export async function read(
  db: Executor,
  sql: string,
  params: Param[],
  timeout: number,
  protocol: 'binary' | 'text' = 'binary',
): Promise<StateRow[]> {
  try {
    const options = { sql, timeout };
    const [rows] =
      protocol === 'binary'
        ? await db.execute<(StateRow & RowDataPacket)[]>(options, params)
        : await db.query<(StateRow & RowDataPacket)[]>(options, params);
    return rows;
  } catch (err) {
    throw operationError(err);
  }
}

export async function write(db: Executor, sql: string, params: Param[], timeout: number): Promise<ResultSetHeader> {
  try {
    const [result] = await db.execute<ResultSetHeader>({ sql, timeout }, params);
    return result;
  } catch (err) {
    throw operationError(err);
  }
}
