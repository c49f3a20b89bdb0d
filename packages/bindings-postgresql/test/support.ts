/** The real server (`bash scripts/services.sh up postgres`): visible skip locally without it, failure in CI. */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { describe } from 'vitest';

export const PG_URL = process.env.DAPRKIT_PG_URL ?? 'postgres://daprkit:daprkit@127.0.0.1:5432/daprkit';

export async function probePostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000, query_timeout: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => {});
  }
}

const unreachable = await probePostgres().then(
  () => undefined,
  (err: Error) => err.message || (err as NodeJS.ErrnoException).code || String(err),
);

export function describePostgres(name: string, body: () => void): void {
  if (unreachable !== undefined && process.env.CI === 'true') {
    describe(name, () => {
      throw new Error(`PostgreSQL is required in CI but unreachable at ${new URL(PG_URL).host}: ${unreachable}`);
    });
    return;
  }
  const title = unreachable === undefined ? name : `${name} [skipped: PostgreSQL unreachable: ${unreachable}]`;
  describe.skipIf(unreachable !== undefined)(title, body);
}

export const uniqueTable = (prefix: string) => `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
export const text = (data: Uint8Array | undefined) => (data === undefined ? undefined : Buffer.from(data).toString());
