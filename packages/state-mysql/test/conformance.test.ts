import { describeStateConformance } from '@daprkit/conformance';
import { afterAll } from 'vitest';
import { definitions } from '../src/index.js';
import { DSN, dropSchema, probeMySql, uniqueSchema } from './helpers.js';

// A schema of its own per run, so parallel runs on one server never share rows; dropped afterwards.
const schemaName = uniqueSchema('daprkit_conformance');
afterAll(() => dropSchema(schemaName).catch(() => {}));

describeStateConformance({
  definition: definitions[0]!,
  properties: { connectionString: DSN, schemaName, tableName: 'state' },
  operations: ['transaction', 'etag', 'first-write', 'ttl', 'actorStateStore'],
  config: {},
  backend: { name: 'mysql', probe: probeMySql },
  packageDir: new URL('..', import.meta.url),
});
