/** Where the test server is, and how to tell it answers. No side effects: the conformance suite applies its own policy. */
import pg from 'pg';

export const PG_URL = process.env.DAPRKIT_PG_URL ?? 'postgres://daprkit:daprkit@127.0.0.1:5432/daprkit';

/** Throws when the server cannot answer `SELECT 1` within two seconds. */
export async function probePostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000, query_timeout: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => {});
  }
}
