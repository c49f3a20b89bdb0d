import { describeStateConformance } from '@daprkit/conformance';
import { definitions } from '../src/index.js';
import { PG_URL, probePostgres } from './support/probe.js';

describeStateConformance({
  definition: definitions[0]!,
  properties: { connectionString: PG_URL, tableName: 'conformance_state' },
  // keyslike is claimed upstream for v1, but the daprkit contract has no KeysLike method (yet).
  operations: ['transaction', 'etag', 'first-write', 'ttl', 'query', 'actorStateStore'],
  config: { badEtag: '1' },
  backend: { name: 'postgresql', probe: probePostgres },
  packageDir: new URL('..', import.meta.url),
});
