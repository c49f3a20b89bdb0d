import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { KeyVaultSecretStore } from './keyvault-secret-store.js';
import { keyVaultSecretStoreMetadataSchema } from './metadata.js';
import { VERSION } from './version.js';

export {
  createKeyVaultSecretStore,
  KeyVaultSecretStore,
  type KeyVaultSecretStoreOptions,
} from './keyvault-secret-store.js';
export { keyVaultRequestMetadataSchema, keyVaultSecretStoreMetadataSchema } from './metadata.js';
export { VERSION } from './version.js';

/** Served as `secretstores.daprkit-azure-keyvault` over a socket, and as `secretstores.azure.keyvault` in the daprkit sidecar. */
export const definitions: ComponentDefinition[] = [
  defineComponent({
    kind: 'secretStore',
    socketName: 'daprkit-azure-keyvault',
    types: ['secretstores.azure.keyvault'],
    packageName: '@daprkit/secretstores-azure-keyvault',
    version: VERSION,
    metadata: keyVaultSecretStoreMetadataSchema,
    create: ({ logger }) => new KeyVaultSecretStore({ logger }),
  }),
];
