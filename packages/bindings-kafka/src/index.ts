import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { KafkaInputBinding } from './input-binding.js';
import { kafkaBindingMetadataSchema } from './metadata.js';
import { KafkaOutputBinding } from './output-binding.js';
import { VERSION } from './version.js';

export { KafkaInputBinding } from './input-binding.js';
export { type KafkaBindingSettings, kafkaBindingMetadataSchema, parseKafkaBindingSettings } from './metadata.js';
export { type KafkaBindingOptions, KafkaOutputBinding } from './output-binding.js';
export { VERSION } from './version.js';

const common = {
  socketName: 'daprkit-bindings-kafka',
  types: ['bindings.kafka'],
  packageName: '@daprkit/bindings-kafka',
  version: VERSION,
  metadata: kafkaBindingMetadataSchema,
} as const;

/**
 * Served as `bindings.daprkit-bindings-kafka` over a socket (input and output on one socket), and as
 * `bindings.kafka` in the daprkit sidecar; `direction` metadata limits which halves start.
 */
export const definitions: ComponentDefinition[] = [
  defineComponent({ kind: 'inputBinding', ...common, create: ({ logger }) => new KafkaInputBinding({ logger }) }),
  defineComponent({ kind: 'outputBinding', ...common, create: ({ logger }) => new KafkaOutputBinding({ logger }) }),
];
