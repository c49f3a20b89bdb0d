import { ErrorCode } from '@daprkit/component-sdk';
import { describe, expect, it } from 'vitest';
import { awsClientConfig, parseAwsSettings, toAwsError } from '../src/index.js';

const env = {};

describe('parseAwsSettings', () => {
  it('reads region (and its alias awsRegion), endpoint and static keys', () => {
    const s = parseAwsSettings(
      {
        awsRegion: 'eu-west-1',
        endpoint: 'http://127.0.0.1:4566/',
        accessKey: 'AK',
        secretKey: 'SK',
        sessionToken: 'T',
      },
      { env },
    );
    expect(s).toMatchObject({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:4566',
      staticCredentials: { accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'T' },
      credentialSource: 'static',
      assumeRole: undefined,
    });
    expect(awsClientConfig(s)).toMatchObject({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:4566' });
  });

  it('uses the default credential chain without keys and AWS_REGION without region', async () => {
    const s = parseAwsSettings({}, { env: { AWS_REGION: 'us-west-2' } });
    expect(s.region).toBe('us-west-2');
    expect(s.credentialSource).toBe('default-chain');
    expect(typeof awsClientConfig(s).credentials).toBe('function');
    expect(() => parseAwsSettings({}, { env })).toThrow("metadata 'region': is required");
  });

  it('adds a scheme to a bare endpoint (https, or http when asked) and rejects other schemes', () => {
    expect(parseAwsSettings({ region: 'us-east-1', endpoint: 'localhost:4566' }, { env }).endpoint).toBe(
      'https://localhost:4566',
    );
    expect(
      parseAwsSettings({ region: 'us-east-1', endpoint: 'localhost:4566' }, { env, defaultScheme: 'http' }).endpoint,
    ).toBe('http://localhost:4566');
    expect(() => parseAwsSettings({ region: 'us-east-1', endpoint: 'ftp://x' }, { env })).toThrow(
      "metadata 'endpoint'",
    );
  });

  it('names the missing half of a key pair and never echoes secret values', () => {
    const err = (() => {
      try {
        parseAwsSettings({ region: 'us-east-1', secretKey: 'VERY-SECRET' }, { env });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).toContain("metadata 'accessKey'");
    expect(err?.message).not.toContain('VERY-SECRET');
    expect(() => parseAwsSettings({ region: 'us-east-1', sessionToken: 'T' }, { env })).toThrow(
      "metadata 'sessionToken'",
    );
  });

  it('assumes a role with the default session name, validating the ARN', () => {
    const s = parseAwsSettings({ region: 'us-east-1', assumeRoleArn: 'arn:aws:iam::123456789012:role/app' }, { env });
    expect(s.assumeRole).toEqual({ roleArn: 'arn:aws:iam::123456789012:role/app', sessionName: 'DaprDefaultSession' });
    expect(typeof awsClientConfig(s).credentials).toBe('function');
    expect(() => parseAwsSettings({ region: 'us-east-1', assumeRoleArn: 'role/app' }, { env })).toThrow(
      "metadata 'assumeRoleArn'",
    );
  });

  it('refuses IAM Roles Anywhere instead of ignoring it', () => {
    expect(() => parseAwsSettings({ region: 'us-east-1', trustAnchorArn: 'arn:x' }, { env })).toThrow(
      "metadata 'trustAnchorArn': IAM Roles Anywhere is not supported",
    );
  });

  it("upgrades snssqs's legacy names only when asked; canonical names win", () => {
    const legacy = { region: 'us-east-1', awsAccountID: 'AK', awsSecret: 'SK' };
    expect(parseAwsSettings(legacy, { env, legacyAliases: true }).staticCredentials).toMatchObject({
      accessKeyId: 'AK',
      secretAccessKey: 'SK',
    });
    expect(parseAwsSettings(legacy, { env }).staticCredentials).toBeUndefined();
    expect(
      parseAwsSettings({ ...legacy, accessKey: 'NEW', secretKey: 'S2' }, { env, legacyAliases: true }).staticCredentials
        ?.accessKeyId,
    ).toBe('NEW');
  });
});

describe('toAwsError', () => {
  const aws = (name: string, status?: number) =>
    Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });

  it('maps AWS failures to typed errors whose text names the subject', () => {
    expect(toAwsError(aws('ResourceNotFoundException', 400), 'dynamodb GetItem').code).toBe(ErrorCode.NotFound);
    expect(toAwsError(aws('AccessDeniedException', 400), 's').code).toBe(ErrorCode.PermissionDenied);
    expect(toAwsError(aws('UnrecognizedClientException', 400), 's').code).toBe(ErrorCode.Unauthenticated);
    expect(toAwsError(aws('ThrottlingException', 400), 's').code).toBe(ErrorCode.Unavailable);
    expect(toAwsError(aws('InternalServerError', 500), 's').code).toBe(ErrorCode.Unavailable);
    expect(toAwsError(aws('ValidationException', 400), 's').code).toBe(ErrorCode.InvalidArgument);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    const mapped = toAwsError(refused, 'sqs ReceiveMessage');
    expect(mapped.code).toBe(ErrorCode.Unavailable);
    expect(mapped.message).toBe('sqs ReceiveMessage: Error: connect ECONNREFUSED 127.0.0.1:9');
  });
});
