import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { rabbitmqBindingMetadataSchema } from './metadata.js';
import { RabbitMQInputBinding, RabbitMQOutputBinding } from './rabbitmq-binding.js';
import { VERSION } from './version.js';

export {
  parseRabbitBindingSettings,
  queryEscape,
  type RabbitBindingSettings,
  rabbitmqBindingMetadataSchema,
} from './metadata.js';
export {
  createRabbitMQInputBinding,
  createRabbitMQOutputBinding,
  type RabbitMQBindingOptions,
  RabbitMQInputBinding,
  RabbitMQOutputBinding,
} from './rabbitmq-binding.js';
export { VERSION } from './version.js';

const common = {
  socketName: 'daprkit-rabbitmq',
  types: ['bindings.rabbitmq'],
  packageName: '@daprkit/bindings-rabbitmq',
  version: VERSION,
  metadata: rabbitmqBindingMetadataSchema,
} as const;

/**
 * Served as `bindings.daprkit-rabbitmq` (input and output) over a socket (the socket name @daprkit/pubsub-rabbitmq
 * uses too, so one `daprkit-serve` process can serve both), and as `bindings.rabbitmq` in the daprkit sidecar.
 */
export const definitions: ComponentDefinition[] = [
  defineComponent({ kind: 'inputBinding', ...common, create: ({ logger }) => new RabbitMQInputBinding({ logger }) }),
  defineComponent({ kind: 'outputBinding', ...common, create: ({ logger }) => new RabbitMQOutputBinding({ logger }) }),
];
