import { probeAws } from '@daprkit/aws-common/testing';
import { describeStateConformance } from '@daprkit/conformance';
import { definitions } from '../src/index.js';
import { createTable, rawClient, storeProperties } from './support/dynamodb.js';

// The upstream "terraform" profile: a table keyed by `key` and `ttlAttributeName: expiresAt` (so TTL is claimed).
const TABLE = 'daprkit-conformance-state';

describeStateConformance({
  definition: definitions[0]!,
  properties: storeProperties(TABLE, { ttlAttributeName: 'expiresAt' }),
  operations: ['transaction', 'etag', 'first-write', 'ttl', 'actorStateStore'],
  backend: {
    name: 'moto',
    probe: async () => {
      await probeAws();
      await createTable(rawClient(), TABLE);
    },
  },
  packageDir: new URL('..', import.meta.url),
});
