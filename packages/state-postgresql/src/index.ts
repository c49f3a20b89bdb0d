import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { postgresStateStoreMetadataSchema } from './metadata.js';
import { PostgresStateStore } from './postgres-state-store.js';
import { VERSION } from './version.js';

export { type PostgresStateStoreMetadata, postgresStateStoreMetadataSchema } from './metadata.js';
export {
  createPostgresStateStore,
  PostgresStateStore,
  type PostgresStateStoreOptions,
} from './postgres-state-store.js';
export { VERSION } from './version.js';

/**
 * Served as `state.daprkit-postgresql` over a socket, and as `state.postgresql` / `state.postgres` (contrib's v1,
 * the default version) in the daprkit sidecar.
 */
export const definitions: ComponentDefinition<'state'>[] = [
  defineComponent({
    kind: 'state',
    socketName: 'daprkit-postgresql',
    types: ['state.postgresql', 'state.postgres'],
    packageName: '@daprkit/state-postgresql',
    version: VERSION,
    metadata: postgresStateStoreMetadataSchema,
    create: ({ logger }) => new PostgresStateStore({ logger }),
  }),
];
