import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { MemoryStateStore } from './memory-state-store.js';
import { memoryStateStoreMetadataSchema } from './metadata.js';
import { VERSION } from './version.js';

export { createMemoryStateStore, MemoryStateStore } from './memory-state-store.js';
export { memoryStateStoreMetadataSchema } from './metadata.js';
export { VERSION } from './version.js';

/** Served as `state.daprkit-memory` over a socket, and as `state.in-memory` in the daprkit sidecar. */
export const definitions: ComponentDefinition[] = [
  defineComponent({
    kind: 'state',
    socketName: 'daprkit-memory',
    types: ['state.in-memory', 'state.daprkit-memory'],
    packageName: '@daprkit/state-memory',
    version: VERSION,
    metadata: memoryStateStoreMetadataSchema,
    create: () => new MemoryStateStore(),
  }),
];
