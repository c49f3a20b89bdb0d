/** Test access to S3 on the shared AWS-compatible server (`bash scripts/services.sh up moto`). */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { awsTestClientConfig, awsTestProperties, createDescribeWithAws } from '@daprkit/aws-common/testing';
import type { Metadata } from '@daprkit/component-sdk';

export const describeWithAws = await createDescribeWithAws();

export function adminClient(): S3Client {
  return new S3Client({ ...awsTestClientConfig(), forcePathStyle: true });
}

export async function createBucket(name: string): Promise<void> {
  const client = adminClient();
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } catch (error) {
    const n = (error as Error).name;
    if (n !== 'BucketAlreadyOwnedByYou' && n !== 'BucketAlreadyExists') throw error;
  } finally {
    client.destroy();
  }
}

/** Upstream's docker profile: path style, plain HTTP. */
export function bindingProperties(bucket: string, extra: Metadata = {}): Metadata {
  return awsTestProperties({ bucket, forcePathStyle: 'true', disableSSL: 'true', ...extra });
}
