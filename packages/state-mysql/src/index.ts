import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { mysqlStateStoreMetadataSchema } from './metadata.js';
import { MySqlStateStore } from './mysql-state-store.js';
import { VERSION } from './version.js';

export { mysqlStateStoreMetadataSchema } from './metadata.js';
export { createMySqlStateStore, MySqlStateStore, type MySqlStateStoreOptions } from './mysql-state-store.js';
export { VERSION } from './version.js';

/** Served as `state.daprkit-mysql` over a socket, and as `state.mysql` in the daprkit sidecar. */
export const definitions: ComponentDefinition<'state'>[] = [
  defineComponent({
    kind: 'state',
    socketName: 'daprkit-mysql',
    types: ['state.mysql'],
    packageName: '@daprkit/state-mysql',
    version: VERSION,
    metadata: mysqlStateStoreMetadataSchema,
    create: ({ logger }) => new MySqlStateStore({ logger }),
  }),
];
