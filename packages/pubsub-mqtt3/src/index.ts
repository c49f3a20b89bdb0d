import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { mqttPubSubMetadataSchema } from './metadata.js';
import { MqttPubSub } from './mqtt-pubsub.js';
import { VERSION } from './version.js';

export { mqttPubSubMetadataSchema, parseMqttPubSubSettings } from './metadata.js';
export { createMqttPubSub, MqttPubSub, type MqttPubSubOptions } from './mqtt-pubsub.js';
export { VERSION } from './version.js';

/**
 * Served as `pubsub.daprkit-mqtt3` over a socket (the same socket as @daprkit/bindings-mqtt3, so one
 * `daprkit-serve` process can serve both), and as `pubsub.mqtt3` / `pubsub.mqtt` in the daprkit sidecar.
 */
export const definitions: ComponentDefinition[] = [
  defineComponent({
    kind: 'pubsub',
    socketName: 'daprkit-mqtt3',
    types: ['pubsub.mqtt3', 'pubsub.mqtt'],
    packageName: '@daprkit/pubsub-mqtt3',
    version: VERSION,
    metadata: mqttPubSubMetadataSchema,
    create: ({ logger }) => new MqttPubSub({ logger }),
  }),
];
