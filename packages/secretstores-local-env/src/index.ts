import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { EnvSecretStore } from './env-secret-store.js';
import { envSecretStoreMetadataSchema } from './metadata.js';
import { VERSION } from './version.js';

export { createEnvSecretStore, EnvSecretStore, isReservedVariable } from './env-secret-store.js';
export { envSecretStoreMetadataSchema } from './metadata.js';
export { VERSION } from './version.js';

/** Served as `secretstores.daprkit-local-env` over a socket, and as `secretstores.local.env` in the daprkit sidecar. */
export const definitions: ComponentDefinition[] = [
  defineComponent({
    kind: 'secretStore',
    socketName: 'daprkit-local-env',
    types: ['secretstores.local.env'],
    packageName: '@daprkit/secretstores-local-env',
    version: VERSION,
    metadata: envSecretStoreMetadataSchema,
    create: ({ logger }) => new EnvSecretStore(logger),
  }),
];
