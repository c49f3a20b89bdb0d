import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { secretManagerMetadataSchema } from './metadata.js';
import { SecretManagerStore } from './secretmanager-store.js';
import { VERSION } from './version.js';

export { secretManagerMetadataSchema } from './metadata.js';
export { createSecretManagerStore, SecretManagerStore, type SecretManagerStoreOptions } from './secretmanager-store.js';
export { VERSION } from './version.js';

/**
 * Served as `secretstores.daprkit-aws-secretmanager` over a socket, and as `secretstores.aws.secretmanager` (no "s",
 * as daprd registers it) in the daprkit sidecar.
 */
export const definitions: ComponentDefinition[] = [
  defineComponent({
    kind: 'secretStore',
    socketName: 'daprkit-aws-secretmanager',
    types: ['secretstores.aws.secretmanager'],
    packageName: '@daprkit/secretstores-aws-secretmanager',
    version: VERSION,
    metadata: secretManagerMetadataSchema,
    create: ({ logger }) => new SecretManagerStore({ logger }),
  }),
];
