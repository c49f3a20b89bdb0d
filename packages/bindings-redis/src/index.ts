import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { redisBindingMetadataSchema } from './metadata.js';
import { RedisBinding } from './redis-binding.js';
import { VERSION } from './version.js';

export { parseRedisBindingSettings, redisBindingMetadataSchema } from './metadata.js';
export { REDIS_BINDING_OPERATIONS, RedisBinding } from './redis-binding.js';
export { VERSION } from './version.js';

export function createRedisBinding(options: ConstructorParameters<typeof RedisBinding>[0] = {}): RedisBinding {
  return new RedisBinding(options);
}

/** Served as `bindings.daprkit-redis` over a socket and as `bindings.redis` in the daprkit sidecar. */
export const definitions: ComponentDefinition[] = [
  defineComponent({
    kind: 'outputBinding',
    socketName: 'daprkit-redis',
    types: ['bindings.redis'],
    packageName: '@daprkit/bindings-redis',
    version: VERSION,
    metadata: redisBindingMetadataSchema,
    create: ({ logger }) => new RedisBinding({ logger }),
  }),
];
