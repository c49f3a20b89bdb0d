import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { redisStreamsPubSubMetadataSchema } from './metadata.js';
import { RedisStreamsPubSub } from './redis-streams-pubsub.js';
import { VERSION } from './version.js';

export { redisStreamsPubSubMetadataSchema } from './metadata.js';
export {
  createRedisStreamsPubSub,
  RedisStreamsPubSub,
  type RedisStreamsPubSubOptions,
} from './redis-streams-pubsub.js';
export { VERSION } from './version.js';

/**
 * Served as `pubsub.daprkit-redis` over a socket (the same socket as @daprkit/state-redis, so one
 * `daprkit-serve` process can serve both), and as `pubsub.redis` in the daprkit sidecar.
 */
export const definitions: ComponentDefinition[] = [
  defineComponent({
    kind: 'pubsub',
    socketName: 'daprkit-redis',
    types: ['pubsub.redis'],
    packageName: '@daprkit/pubsub-redis',
    version: VERSION,
    metadata: redisStreamsPubSubMetadataSchema,
    create: ({ logger }) => new RedisStreamsPubSub({ logger }),
  }),
];
