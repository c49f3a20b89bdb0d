import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { KafkaPubSub } from './kafka-pubsub.js';
import { kafkaPubSubMetadataSchema } from './metadata.js';
import { VERSION } from './version.js';

export { createKafkaPubSub, KafkaPubSub, type KafkaPubSubOptions } from './kafka-pubsub.js';
export { kafkaPubSubMetadataSchema } from './metadata.js';
export { VERSION } from './version.js';

/** Served as `pubsub.daprkit-kafka` over a socket, and as `pubsub.kafka` in the daprkit sidecar. */
export const definitions: ComponentDefinition[] = [
  defineComponent({
    kind: 'pubsub',
    socketName: 'daprkit-kafka',
    types: ['pubsub.kafka'],
    packageName: '@daprkit/pubsub-kafka',
    version: VERSION,
    metadata: kafkaPubSubMetadataSchema,
    create: ({ logger }) => new KafkaPubSub({ logger }),
  }),
];
