/**
 * Test access to DynamoDB on the shared AWS-compatible server (`bash scripts/services.sh up moto`). Tables are
 * created per test file with unique names (contrib's layout: string partition key, no sort key).
 */
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsTestClientConfig, awsTestProperties, createDescribeWithAws, uniqueName } from '@daprkit/aws-common/testing';
import type { Metadata, SetRequest } from '@daprkit/component-sdk';
import { DynamoDBStateStore } from '../../src/index.js';

export const describeWithAws = await createDescribeWithAws();

export function rawClient(): DynamoDBClient {
  return new DynamoDBClient(awsTestClientConfig());
}

/** Creates a table keyed by `partitionKey` (S) and returns its name. Idempotent for a given name. */
export async function createTable(client: DynamoDBClient, name = uniqueName('daprkit-state'), partitionKey = 'key') {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        AttributeDefinitions: [{ AttributeName: partitionKey, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if ((error as Error).name !== 'ResourceInUseException') throw error;
  }
  return name;
}

export async function dropTable(client: DynamoDBClient, name: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: name })).catch(() => {});
}

export function storeProperties(table: string, extra: Metadata = {}): Metadata {
  return awsTestProperties({ table, ...extra });
}

export async function openStore(table: string, extra: Metadata = {}): Promise<DynamoDBStateStore> {
  const store = new DynamoDBStateStore();
  await store.init(storeProperties(table, extra));
  return store;
}

const encoder = new TextEncoder();
export const bytes = (text: string): Uint8Array => encoder.encode(text);
export const text = (data: Uint8Array | undefined): string | undefined =>
  data === undefined ? undefined : Buffer.from(data).toString();

export function setRequest(key: string, value: string | Uint8Array, extra: Partial<SetRequest> = {}): SetRequest {
  return { key, value: typeof value === 'string' ? bytes(value) : value, metadata: {}, options: {}, ...extra };
}
