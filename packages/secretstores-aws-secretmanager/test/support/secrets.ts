/** Test access to Secrets Manager on the shared AWS-compatible server (`bash scripts/services.sh up moto`). */
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { awsTestClientConfig, createDescribeWithAws } from '@daprkit/aws-common/testing';

export const describeWithAws = await createDescribeWithAws();

export function adminClient(): SecretsManagerClient {
  return new SecretsManagerClient(awsTestClientConfig());
}

/** Creates or updates a string secret; returns its ARN and the new version id. */
export async function putSecret(
  client: SecretsManagerClient,
  name: string,
  value: string | Uint8Array,
): Promise<{ arn: string; versionId: string }> {
  const payload = typeof value === 'string' ? { SecretString: value } : { SecretBinary: value };
  try {
    const out = await client.send(new CreateSecretCommand({ Name: name, ...payload }));
    return { arn: out.ARN!, versionId: out.VersionId! };
  } catch (error) {
    if (!(error instanceof ResourceExistsException)) throw error;
    const out = await client.send(new PutSecretValueCommand({ SecretId: name, ...payload }));
    return { arn: out.ARN!, versionId: out.VersionId! };
  }
}

/** The conformance fixture (conftestsecret=abcd, secondsecret=efgh); throws when the server is unreachable. */
export async function provisionFixture(fixture: Record<string, string>): Promise<void> {
  const client = adminClient();
  try {
    for (const [name, value] of Object.entries(fixture)) await putSecret(client, name, value);
  } finally {
    client.destroy();
  }
}
