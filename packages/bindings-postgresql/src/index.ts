import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { postgresBindingMetadataSchema } from './metadata.js';
import { PostgresBinding } from './postgres-binding.js';
import { VERSION } from './version.js';

export { postgresBindingMetadataSchema } from './metadata.js';
export { createPostgresBinding, PostgresBinding, type PostgresBindingOptions } from './postgres-binding.js';
export { pgValue } from './values.js';
export { VERSION } from './version.js';

/**
 * Served as `bindings.daprkit-bindings-postgresql` over a socket, and as `bindings.postgres` /
 * `bindings.postgresql` (contrib's names) in the daprkit sidecar.
 */
export const definitions: ComponentDefinition<'outputBinding'>[] = [
  defineComponent({
    kind: 'outputBinding',
    socketName: 'daprkit-bindings-postgresql',
    types: ['bindings.postgres', 'bindings.postgresql'],
    packageName: '@daprkit/bindings-postgresql',
    version: VERSION,
    metadata: postgresBindingMetadataSchema,
    create: ({ logger }) => new PostgresBinding({ logger }),
  }),
];
