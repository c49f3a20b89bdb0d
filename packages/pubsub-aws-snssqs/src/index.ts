import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { snsSqsMetadataSchema } from './metadata.js';
import { SnsSqsPubSub } from './snssqs-pubsub.js';
import { VERSION } from './version.js';

export { snsSqsMetadataSchema } from './metadata.js';
export { partitionOf, sanitizeName } from './names.js';
export { createSnsSqsPubSub, SnsSqsPubSub, type SnsSqsPubSubOptions } from './snssqs-pubsub.js';
export { VERSION } from './version.js';

/** Served as `pubsub.daprkit-aws-snssqs` over a socket, and as `pubsub.aws.snssqs` / `pubsub.snssqs` in the sidecar. */
export const definitions: ComponentDefinition[] = [
  defineComponent({
    kind: 'pubsub',
    socketName: 'daprkit-aws-snssqs',
    types: ['pubsub.aws.snssqs', 'pubsub.snssqs'],
    packageName: '@daprkit/pubsub-aws-snssqs',
    version: VERSION,
    metadata: snsSqsMetadataSchema,
    create: ({ logger }) => new SnsSqsPubSub({ logger }),
  }),
];
