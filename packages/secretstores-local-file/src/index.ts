import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { FileSecretStore } from './file-secret-store.js';
import { fileSecretStoreMetadataSchema } from './metadata.js';
import { VERSION } from './version.js';

export { createFileSecretStore, FileSecretStore } from './file-secret-store.js';
export { fileSecretStoreMetadataSchema } from './metadata.js';
export { VERSION } from './version.js';

/** Served as `secretstores.daprkit-local-file` over a socket, and as `secretstores.local.file` in the daprkit sidecar. */
export const definitions: ComponentDefinition[] = [
  defineComponent({
    kind: 'secretStore',
    socketName: 'daprkit-local-file',
    types: ['secretstores.local.file'],
    packageName: '@daprkit/secretstores-local-file',
    version: VERSION,
    metadata: fileSecretStoreMetadataSchema,
    create: (context) => new FileSecretStore(context.logger),
  }),
];
