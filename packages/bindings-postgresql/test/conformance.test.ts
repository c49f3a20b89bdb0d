import { describeOutputBindingConformance } from '@daprkit/conformance';
import { definitions } from '../src/index.js';
import { PG_URL, probePostgres } from './support.js';

// Upstream's postgresql.docker profile: `url` (the legacy alias) on purpose, exec/query/close are only checked to be listed.
describeOutputBindingConformance({
  definition: definitions[0]!,
  properties: { url: PG_URL },
  operations: ['exec', 'query', 'close'],
  backend: { name: 'postgresql', probe: probePostgres },
  packageDir: new URL('..', import.meta.url),
});
