import { type AwsSettings, awsAuthMetadataSchema, parseAwsSettings } from '@daprkit/aws-common';
import { field, InvalidMetadataError, type Metadata, parseMetadata } from '@daprkit/component-sdk';

export const DEFAULT_PARTITION_KEY = 'key';

const dynamoFields = {
  table: field.string({ description: 'The DynamoDB table (must exist: string partition key, no sort key).' }),
  partitionKey: field.string({
    default: DEFAULT_PARTITION_KEY,
    description: "Name of the table's partition key attribute, which holds the state key.",
  }),
  ttlAttributeName: field.string({
    description:
      'Attribute holding the expiry (epoch seconds, type N). Enables TTL; without it ttlInSeconds is ignored.',
  }),
};

/** Component metadata (YAML `spec.metadata`), names and defaults as contrib's `state.aws.dynamodb`. */
export const dynamoDBMetadataSchema = { ...awsAuthMetadataSchema, ...dynamoFields };

export interface DynamoDBSettings {
  aws: AwsSettings;
  table: string;
  partitionKey: string;
  ttlAttributeName: string | undefined;
}

export function parseDynamoDBSettings(properties: Metadata): DynamoDBSettings {
  // contrib checks the table before anything else, with this text.
  const table = Object.entries(properties).find(([k, v]) => k.toLowerCase() === 'table' && v !== '')?.[1];
  if (table === undefined) throw new InvalidMetadataError('table', 'missing dynamodb table name');
  const m = parseMetadata(properties, dynamoFields);
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(table)) {
    throw new InvalidMetadataError('table', `'${table}' is not a DynamoDB table name (3-255 of A-Z a-z 0-9 _ - .)`);
  }
  return {
    aws: parseAwsSettings(properties),
    table,
    partitionKey: m.partitionKey,
    ttlAttributeName: m.ttlAttributeName,
  };
}
