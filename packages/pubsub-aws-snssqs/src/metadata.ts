import { type AwsSettings, awsAuthMetadataSchema, parseAwsSettings } from '@daprkit/aws-common';
import { field, InvalidMetadataError, type Metadata, parseMetadata } from '@daprkit/component-sdk';
import { partitionOf } from './names.js';

const fields = {
  consumerID: field.string({ description: 'The SQS queue of this app (sanitized); the runtime sets the app ID.' }),
  partition: field.string({ description: 'ARN partition; derived from the region when absent.' }),
  accountID: field.string({ description: 'AWS account for built ARNs; from STS GetCallerIdentity when absent.' }),
  messageVisibilityTimeout: field.int({
    default: 10,
    min: 1,
    description: 'Seconds a received message stays hidden (redelivery delay after a failure).',
  }),
  messageRetryLimit: field.int({
    default: 10,
    min: 2,
    description: 'Receives after which a message is deleted unprocessed (no dead-letter queue).',
  }),
  messageReceiveLimit: field.int({
    default: 0,
    min: 0,
    description: 'Dead-letter redrive maxReceiveCount; needs sqsDeadLettersQueueName.',
  }),
  sqsDeadLettersQueueName: field.string({ description: 'Dead-letter queue (created, sanitized).' }),
  disableDeleteOnRetryLimit: field.bool({
    default: false,
    description: 'At the retry limit, make the message visible again instead of deleting it.',
  }),
  messageWaitTimeSeconds: field.int({ default: 2, min: 1, max: 20, description: 'Long-poll wait of ReceiveMessage.' }),
  messageMaxNumber: field.int({ default: 10, min: 1, max: 10, description: 'Messages per ReceiveMessage.' }),
  fifo: field.bool({
    default: false,
    description: 'FIFO topics and queues (`.fifo` names, content-based deduplication).',
  }),
  fifoMessageGroupID: field.string({ description: 'FIFO message group of publishes; defaults to consumerID.' }),
  disableEntityManagement: field.bool({
    default: false,
    description: 'Only look topics and queues up; never create them.',
  }),
  assetsManagementTimeoutSeconds: field.number({
    default: 5,
    description: 'Timeout of each entity management call (seconds, fractions allowed).',
  }),
  concurrencyMode: field.enum({
    values: ['parallel', 'single'],
    default: 'parallel',
    description: 'parallel: a batch is handled concurrently; single: one message at a time.',
  }),
  concurrencyLimit: field.int({ default: 0, min: 0, description: 'Parallel handlers at most (0 = unlimited).' }),
  backOffInitialInterval: field.duration({
    default: 500,
    bareUnit: 'milliseconds',
    description: 'First delay after a failed ReceiveMessage.',
  }),
  backOffMaxInterval: field.duration({
    default: 60_000,
    bareUnit: 'milliseconds',
    description: 'Longest delay between failed ReceiveMessage calls.',
  }),
};

/** Component metadata (YAML `spec.metadata`), names and code defaults as contrib's `pubsub.aws.snssqs`. */
export const snsSqsMetadataSchema = { ...awsAuthMetadataSchema, ...fields };

export interface SnsSqsSettings {
  aws: AwsSettings;
  consumerID: string;
  partition: string;
  accountID: string | undefined;
  visibilityTimeout: number;
  retryLimit: number;
  receiveLimit: number;
  deadLettersQueue: string | undefined;
  disableDeleteOnRetryLimit: boolean;
  waitTimeSeconds: number;
  maxNumber: number;
  fifo: boolean;
  fifoMessageGroupID: string;
  disableEntityManagement: boolean;
  managementTimeoutMs: number;
  concurrencyMode: 'parallel' | 'single';
  concurrencyLimit: number;
  backOffInitialMs: number;
  backOffMaxMs: number;
}

export function parseSnsSqsSettings(properties: Metadata): SnsSqsSettings {
  const aws = parseAwsSettings(properties, { legacyAliases: true });
  const m = parseMetadata(properties, fields);
  if (m.consumerID === undefined) throw new InvalidMetadataError('consumerID', 'is required');
  if ((m.sqsDeadLettersQueueName === undefined) !== (m.messageReceiveLimit === 0)) {
    throw new InvalidMetadataError(
      m.sqsDeadLettersQueueName === undefined ? 'messageReceiveLimit' : 'sqsDeadLettersQueueName',
      'sqsDeadLettersQueueName and messageReceiveLimit must be set together',
    );
  }
  if (m.sqsDeadLettersQueueName !== undefined && m.disableDeleteOnRetryLimit) {
    throw new InvalidMetadataError('disableDeleteOnRetryLimit', 'cannot be combined with sqsDeadLettersQueueName');
  }
  if (m.accountID !== undefined && !/^\d{12}$/.test(m.accountID)) {
    throw new InvalidMetadataError('accountID', `'${m.accountID}' is not a 12-digit AWS account id`);
  }
  if (!(m.assetsManagementTimeoutSeconds > 0)) {
    throw new InvalidMetadataError('assetsManagementTimeoutSeconds', 'must be > 0');
  }
  return {
    aws,
    consumerID: m.consumerID,
    partition: m.partition ?? partitionOf(aws.region),
    accountID: m.accountID,
    visibilityTimeout: m.messageVisibilityTimeout,
    retryLimit: m.messageRetryLimit,
    receiveLimit: m.messageReceiveLimit,
    deadLettersQueue: m.sqsDeadLettersQueueName,
    disableDeleteOnRetryLimit: m.disableDeleteOnRetryLimit,
    waitTimeSeconds: m.messageWaitTimeSeconds,
    maxNumber: m.messageMaxNumber,
    fifo: m.fifo,
    fifoMessageGroupID: m.fifoMessageGroupID ?? m.consumerID,
    disableEntityManagement: m.disableEntityManagement,
    managementTimeoutMs: m.assetsManagementTimeoutSeconds * 1000,
    concurrencyMode: m.concurrencyMode as 'parallel' | 'single',
    concurrencyLimit: m.concurrencyLimit,
    backOffInitialMs: m.backOffInitialInterval,
    backOffMaxMs: m.backOffMaxInterval,
  };
}
