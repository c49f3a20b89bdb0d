import { awsTestProperties } from '@daprkit/aws-common/testing';
import { describeSecretStoreConformance, SECRET_FIXTURE } from '@daprkit/conformance';
import { definitions } from '../src/index.js';
import { provisionFixture } from './support/secrets.js';

describeSecretStoreConformance({
  definition: definitions[0]!,
  properties: awsTestProperties(),
  config: { missingSecret: 'error' },
  // Reaching the server and provisioning the two fixture secrets are one step.
  backend: { name: 'moto', probe: () => provisionFixture(SECRET_FIXTURE) },
  packageDir: new URL('..', import.meta.url),
});
