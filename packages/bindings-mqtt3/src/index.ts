import { type ComponentDefinition, defineComponent, type Logger } from '@daprkit/component-sdk';
import { mqttBindingMetadataSchema } from './metadata.js';
import { MqttInputBinding, MqttOutputBinding } from './mqtt-bindings.js';
import { VERSION } from './version.js';

export { mqttBindingMetadataSchema, parseMqttBindingSettings } from './metadata.js';
export { type MqttBindingOptions, MqttInputBinding, MqttOutputBinding } from './mqtt-bindings.js';
export { VERSION } from './version.js';

/** An input binding ready for `init`. */
export function createMqttInputBinding(options: { logger?: Logger } = {}) {
  return new MqttInputBinding(options);
}

/** An output binding ready for `init`. */
export function createMqttOutputBinding(options: { logger?: Logger } = {}) {
  return new MqttOutputBinding(options);
}

/**
 * Served as `bindings.daprkit-mqtt3` over a socket (input and output; the same socket as @daprkit/pubsub-mqtt3),
 * and as `bindings.mqtt3` / `bindings.mqtt` in the daprkit sidecar.
 */
export const definitions: ComponentDefinition[] = [
  defineComponent({
    kind: 'inputBinding',
    socketName: 'daprkit-mqtt3',
    types: ['bindings.mqtt3', 'bindings.mqtt'],
    packageName: '@daprkit/bindings-mqtt3',
    version: VERSION,
    metadata: mqttBindingMetadataSchema,
    create: ({ logger }) => new MqttInputBinding({ logger }),
  }),
  defineComponent({
    kind: 'outputBinding',
    socketName: 'daprkit-mqtt3',
    types: ['bindings.mqtt3', 'bindings.mqtt'],
    packageName: '@daprkit/bindings-mqtt3',
    version: VERSION,
    metadata: mqttBindingMetadataSchema,
    create: ({ logger }) => new MqttOutputBinding({ logger }),
  }),
];
