import { type AwsSettings, awsAuthMetadataSchema, parseAwsSettings } from '@daprkit/aws-common';
import { field, type Metadata, parseMetadata } from '@daprkit/component-sdk';

const storeFields = {
  multipleKeyValuesPerSecret: field.bool({
    default: false,
    description: 'Parse each SecretString as a JSON object and return its top-level keys as the secret’s pairs.',
  }),
};

/** Component metadata (YAML `spec.metadata`), names and defaults as contrib's `secretstores.aws.secretmanager`. */
export const secretManagerMetadataSchema = { ...awsAuthMetadataSchema, ...storeFields };

/** Request metadata of getSecret: contrib's names. A key present with an empty value is still sent. */
export interface SecretRequestOptions {
  versionId: string | undefined;
  versionStage: string | undefined;
}

export function parseRequestMetadata(metadata: Metadata): SecretRequestOptions {
  const find = (name: string) => Object.entries(metadata).find(([k]) => k === name)?.[1];
  return { versionId: find('version_id'), versionStage: find('version_stage') };
}

export interface SecretManagerSettings {
  aws: AwsSettings;
  multipleKeyValuesPerSecret: boolean;
}

export function parseSecretManagerSettings(properties: Metadata): SecretManagerSettings {
  const m = parseMetadata(properties, storeFields);
  return { aws: parseAwsSettings(properties), multipleKeyValuesPerSecret: m.multipleKeyValuesPerSecret };
}
