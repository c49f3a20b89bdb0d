import { field } from '@daprkit/component-sdk';

/**
 * Component metadata (YAML `spec.metadata`). Unknown keys are ignored: daprd passes its own (`keyPrefix`,
 * `actorStateStore`, ...).
 */
export const memoryStateStoreMetadataSchema = {
  maxTransactionOperations: field.int({
    default: 0,
    min: 0,
    description: 'Maximum operations in one transaction; 0 means unlimited.',
  }),
};
