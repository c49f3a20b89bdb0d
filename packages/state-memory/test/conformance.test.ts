import { describeStateConformance } from '@daprkit/conformance';
import { definitions } from '../src/index.js';

describeStateConformance({
  definition: definitions[0]!,
  properties: {},
  operations: ['transaction', 'etag', 'first-write', 'ttl', 'query', 'delete-with-prefix', 'actorStateStore'],
  config: {},
  packageDir: new URL('..', import.meta.url),
});
