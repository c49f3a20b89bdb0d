import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeStateConformance } from '@daprkit/conformance';
import { afterAll } from 'vitest';
import { definitions } from '../src/index.js';

// A real file in WAL mode (what daprd replicas share), not ':memory:' as upstream's config.
const dir = mkdtempSync(join(tmpdir(), 'dk-sqlite-conf-'));
const file = join(dir, 'state.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeStateConformance({
  definition: definitions[0]!,
  properties: { connectionString: file, tableName: 'conformance_state' },
  // keyslike is claimed upstream, but the daprkit contract has no KeysLike method (yet).
  operations: ['transaction', 'etag', 'first-write', 'ttl', 'actorStateStore'],
  packageDir: new URL('..', import.meta.url),
});
