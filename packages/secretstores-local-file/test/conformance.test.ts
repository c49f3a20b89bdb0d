import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeSecretStoreConformance, SECRET_FIXTURE } from '@daprkit/conformance';
import { definitions } from '../src/index.js';

// The upstream fixture file: exactly the two conformance secrets.
const secretsFile = join(mkdtempSync(join(tmpdir(), 'daprkit-local-file-')), 'secrets.json');
writeFileSync(secretsFile, JSON.stringify(SECRET_FIXTURE));

describeSecretStoreConformance({
  definition: definitions[0]!,
  properties: { secretsFile, nestedSeparator: ':' },
  config: { missingSecret: 'error' },
  packageDir: new URL('..', import.meta.url),
});

// multiValued changes how the file is read, so it is certified too (no record: one per package kind).
describeSecretStoreConformance({
  definition: definitions[0]!,
  properties: { secretsFile, multiValued: 'true' },
  config: { missingSecret: 'error' },
  instanceName: 'conformance-multivalued',
});
