import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { rabbitmqPubSubMetadataSchema } from './metadata.js';
import { RabbitMQPubSub } from './rabbitmq-pubsub.js';
import { VERSION } from './version.js';

export { parseRabbitPubSubSettings, type RabbitPubSubSettings, rabbitmqPubSubMetadataSchema } from './metadata.js';
export { createRabbitMQPubSub, RabbitMQPubSub, type RabbitMQPubSubOptions } from './rabbitmq-pubsub.js';
export { type QueueDeclaration, queueDeclaration, queueNameOf } from './topology.js';
export { VERSION } from './version.js';

/**
 * Served as `pubsub.daprkit-rabbitmq` over a socket (the same socket name as @daprkit/bindings-rabbitmq, so one
 * `daprkit-serve` process can serve both), and as `pubsub.rabbitmq` in the daprkit sidecar.
 */
export const definitions: ComponentDefinition[] = [
  defineComponent({
    kind: 'pubsub',
    socketName: 'daprkit-rabbitmq',
    types: ['pubsub.rabbitmq'],
    packageName: '@daprkit/pubsub-rabbitmq',
    version: VERSION,
    metadata: rabbitmqPubSubMetadataSchema,
    create: ({ logger }) => new RabbitMQPubSub({ logger }),
  }),
];
