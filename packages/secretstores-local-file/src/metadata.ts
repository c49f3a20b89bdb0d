import { field, type Metadata, parseMetadata } from '@daprkit/component-sdk';

/** Component metadata (YAML `spec.metadata`), names and defaults as contrib's `secretstores.local.file`. */
export const fileSecretStoreMetadataSchema = {
  secretsFile: field.string({
    required: true,
    description:
      'Path of the JSON file holding the secrets (relative paths resolve against the working directory); read once, at init.',
  }),
  nestedSeparator: field.string({
    default: ':',
    description: 'Joins the keys of nested objects (and array indexes) into flat secret names.',
  }),
  multiValued: field.bool({
    default: false,
    description: "Each top-level key is one secret; a nested object becomes that secret's key/value pairs.",
  }),
};

export function parseFileSecretStoreMetadata(properties: Metadata) {
  return parseMetadata(properties, fileSecretStoreMetadataSchema);
}
