import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { redisStateStoreMetadataSchema } from './metadata.js';
import { RedisStateStore } from './redis-state-store.js';
import { VERSION } from './version.js';

export { redisStateStoreMetadataSchema } from './metadata.js';
export { createRedisStateStore, RedisStateStore, type RedisStateStoreOptions } from './redis-state-store.js';
export { VERSION } from './version.js';

/** Served as `state.daprkit-redis` over a socket, and as `state.redis` in the daprkit sidecar. */
export const definitions: ComponentDefinition[] = [
  defineComponent({
    kind: 'state',
    socketName: 'daprkit-redis',
    types: ['state.redis'],
    packageName: '@daprkit/state-redis',
    version: VERSION,
    metadata: redisStateStoreMetadataSchema,
    create: ({ logger }) => new RedisStateStore({ logger }),
  }),
];
