import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { MemoryPubSub } from './memory-pubsub.js';
import { memoryPubSubMetadataSchema } from './metadata.js';
import { VERSION } from './version.js';

export { createMemoryPubSub, MemoryPubSub } from './memory-pubsub.js';
export { memoryPubSubMetadataSchema } from './metadata.js';
export { topicMatches } from './subscription.js';
export { VERSION } from './version.js';

/** Served as `pubsub.daprkit-memory` over a socket, and as `pubsub.in-memory` in the daprkit sidecar. */
export const definitions: ComponentDefinition[] = [
  defineComponent({
    kind: 'pubsub',
    socketName: 'daprkit-memory',
    types: ['pubsub.in-memory', 'pubsub.daprkit-memory'],
    packageName: '@daprkit/pubsub-memory',
    version: VERSION,
    metadata: memoryPubSubMetadataSchema,
    create: (context) => new MemoryPubSub(context.logger),
  }),
];
