import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeStateConformance } from '@daprkit/conformance';
import { definitions } from '../src/index.js';

// A real file in WAL mode (what daprd replicas share), not ':memory:' as upstream's config.
const file = join(mkdtempSync(join(tmpdir(), 'dk-sqlite-conf-')), 'state.db');

describeStateConformance({
  definition: definitions[0]!,
  properties: { connectionString: file, tableName: 'conformance_state' },
  // keyslike is claimed upstream, but the daprkit contract has no KeysLike method (yet).
  operations: ['transaction', 'etag', 'first-write', 'ttl', 'actorStateStore'],
  packageDir: new URL('..', import.meta.url),
});
