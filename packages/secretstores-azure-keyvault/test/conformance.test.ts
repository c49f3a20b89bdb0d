import { describeSecretStoreConformance, SECRET_FIXTURE } from '@daprkit/conformance';
import { certificateProperties, keyVaultProperties, provisionFixture, trustingDefinition } from './support/keyvault.js';

describeSecretStoreConformance({
  definition: trustingDefinition,
  properties: keyVaultProperties(),
  config: { missingSecret: 'error' },
  // Reaching the vault and provisioning the two fixture secrets with setSecret are one step.
  backend: { name: 'keyvault', probe: () => provisionFixture(SECRET_FIXTURE) },
  packageDir: new URL('..', import.meta.url),
});

// The upstream matrix also certifies the certificate profile (spn* aliases, as its YAML uses).
describeSecretStoreConformance({
  definition: trustingDefinition,
  properties: certificateProperties(),
  config: { missingSecret: 'error' },
  backend: { name: 'keyvault', probe: () => provisionFixture(SECRET_FIXTURE) },
  instanceName: 'conformance-certificate',
});
