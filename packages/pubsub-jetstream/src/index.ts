import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { JetStreamPubSub } from './jetstream-pubsub.js';
import { jetStreamMetadataSchema } from './metadata.js';
import { VERSION } from './version.js';

export {
  consumerConfig,
  createJetStreamPubSub,
  JetStreamPubSub,
  type JetStreamPubSubOptions,
} from './jetstream-pubsub.js';
export { jetStreamMetadataSchema, parseJetStreamSettings } from './metadata.js';
export { VERSION } from './version.js';

/** Served as `pubsub.daprkit-jetstream` over a socket, and as `pubsub.jetstream` in the daprkit sidecar. */
export const definitions: ComponentDefinition[] = [
  defineComponent({
    kind: 'pubsub',
    socketName: 'daprkit-jetstream',
    types: ['pubsub.jetstream'],
    packageName: '@daprkit/pubsub-jetstream',
    version: VERSION,
    metadata: jetStreamMetadataSchema,
    create: ({ logger }) => new JetStreamPubSub({ logger }),
  }),
];
