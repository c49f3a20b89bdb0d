import { describeSecretStoreConformance } from '@daprkit/conformance';
import { definitions } from '../src/index.js';

// The suite exports the fixture secrets as environment variables before init. Missing secrets are errors:
// our documented divergence from contrib's empty string.
describeSecretStoreConformance({
  definition: definitions[0]!,
  config: { missingSecret: 'error' },
  packageDir: new URL('..', import.meta.url),
});
