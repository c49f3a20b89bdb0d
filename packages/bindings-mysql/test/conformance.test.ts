import { describeOutputBindingConformance } from '@daprkit/conformance';
import { definitions } from '../src/index.js';
import { MYSQL_URL, probeMySql } from './support.js';

// Upstream has no conformance entry for bindings.mysql; this mirrors the postgresql profile.
describeOutputBindingConformance({
  definition: definitions[0]!,
  properties: { url: MYSQL_URL },
  operations: ['exec', 'query', 'close'],
  backend: { name: 'mariadb', probe: probeMySql },
  packageDir: new URL('..', import.meta.url),
});
