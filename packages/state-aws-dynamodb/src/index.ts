import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { DynamoDBStateStore } from './dynamodb-state-store.js';
import { dynamoDBMetadataSchema } from './metadata.js';
import { VERSION } from './version.js';

export {
  createDynamoDBStateStore,
  DynamoDBStateStore,
  type DynamoDBStateStoreOptions,
  MULTI_MAX_SIZE,
} from './dynamodb-state-store.js';
export { dynamoDBMetadataSchema } from './metadata.js';
export { VERSION } from './version.js';

/** Served as `state.daprkit-aws-dynamodb` over a socket, and as `state.aws.dynamodb` in the daprkit sidecar. */
export const definitions: ComponentDefinition[] = [
  defineComponent({
    kind: 'state',
    socketName: 'daprkit-aws-dynamodb',
    types: ['state.aws.dynamodb'],
    packageName: '@daprkit/state-aws-dynamodb',
    version: VERSION,
    metadata: dynamoDBMetadataSchema,
    create: ({ logger }) => new DynamoDBStateStore({ logger }),
  }),
];
