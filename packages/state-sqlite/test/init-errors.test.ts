// Issue 21 item 1: Init may come from any local user who can reach the plugin socket, so its answer must not tell a
// missing directory from a file that is not a database (that would probe the file system); the reason is logged.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../src/index.js';

describe('state.sqlite init errors', () => {
  it('answer alike for a missing directory and a file that is not a database', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dk-sqlite-init-'));
    await writeFile(join(dir, 'not-a-db'), 'root:x:0:0:root:/root:/bin/bash\n'.repeat(100));
    const reasons: string[] = [];
    const logger = {
      debug: (_m: string, f?: Record<string, unknown>) => void reasons.push(String(f?.reason)),
      info() {},
      warn() {},
      error() {},
    };
    const messages = new Set<string>();
    for (const file of [join(dir, 'missing', 'db.sqlite'), join(dir, 'not-a-db')]) {
      const store = new SqliteStateStore({ logger });
      const error = await store.init({ connectionString: `file:${file}` }).catch((e: unknown) => e as Error);
      messages.add(String(error?.message));
      await store.close();
    }
    expect(messages.size).toBe(1);
    expect([...messages][0]).toMatch(/named by connectionString \(the reason is logged at debug level\)$/);
    expect([...messages][0]).not.toMatch(/not a database|unable to open|directory/);
    expect(reasons).toHaveLength(2);
  });
});
