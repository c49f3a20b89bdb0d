/** Test access to SNS/SQS on the shared AWS-compatible server (`bash scripts/services.sh up moto`). */
import { randomUUID } from 'node:crypto';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { awsTestClientConfig, awsTestProperties, createDescribeWithAws } from '@daprkit/aws-common/testing';
import type { Metadata } from '@daprkit/component-sdk';

export const describeWithAws = await createDescribeWithAws();

export const snsClient = () => new SNSClient(awsTestClientConfig());
export const sqsClient = () => new SQSClient(awsTestClientConfig());

/** Upstream's docker profile, with a consumer (queue) of this run and quick redelivery. */
export function pubsubProperties(extra: Metadata = {}): Metadata {
  return awsTestProperties({
    consumerID: `daprkit-test-${randomUUID().slice(0, 8)}`,
    messageVisibilityTimeout: '1',
    messageRetryLimit: '10',
    messageWaitTimeSeconds: '1',
    messageMaxNumber: '10',
    ...extra,
  });
}
