import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { mongoStateStoreMetadataSchema } from './metadata.js';
import { MongoStateStore } from './mongo-state-store.js';
import { VERSION } from './version.js';

export { connectionUri, type MongoStateStoreMetadata, mongoStateStoreMetadataSchema } from './metadata.js';
export { createMongoStateStore, MongoStateStore, type MongoStateStoreOptions } from './mongo-state-store.js';
export { VERSION } from './version.js';

/** Served as `state.daprkit-mongodb` over a socket, and as `state.mongodb` in the daprkit sidecar. */
export const definitions: ComponentDefinition<'state'>[] = [
  defineComponent({
    kind: 'state',
    socketName: 'daprkit-mongodb',
    types: ['state.mongodb'],
    packageName: '@daprkit/state-mongodb',
    version: VERSION,
    metadata: mongoStateStoreMetadataSchema,
    create: ({ logger }) => new MongoStateStore({ logger }),
  }),
];
