import { field } from '@daprkit/component-sdk';

/** Component metadata (YAML `spec.metadata`), as contrib's `secretstores.local.env`. Unknown keys are ignored. */
export const envSecretStoreMetadataSchema = {
  prefix: field.string({
    description:
      'Only variables whose name starts with this prefix are secrets; it is stripped from returned names (case-sensitive except on Windows).',
  }),
};
