/**
 * The AWS auth fields every contrib AWS component shares (`common/aws`, built-in profile "aws"): region, endpoint,
 * static keys, the SDK's default credential chain, and an optional assumed role. Names, aliases and defaults as
 * components-contrib; values are validated with component-sdk's metadata helpers and never echoed for secrets.
 */
import { field, InvalidMetadataError, type Metadata, parseMetadata } from '@daprkit/component-sdk';

export const DEFAULT_SESSION_NAME = 'DaprDefaultSession';

/** The fields, for README tables and for components that merge them into their own schema. */
export const awsAuthMetadataSchema = {
  region: field.string({
    aliases: ['awsRegion'],
    description: 'AWS region (e.g. us-east-1); falls back to AWS_REGION / AWS_DEFAULT_REGION.',
  }),
  endpoint: field.string({
    description: 'Custom endpoint for every service call (LocalStack, moto, VPC endpoints); the SDK default otherwise.',
  }),
  accessKey: field.string({
    secret: true,
    description: 'Access key ID; with secretKey, static credentials. Omit both for the default credential chain.',
  }),
  secretKey: field.string({ secret: true, description: 'Secret access key (pairs with accessKey).' }),
  sessionToken: field.string({ secret: true, description: 'Session token for temporary static credentials.' }),
  assumeRoleArn: field.string({
    description: 'Role to assume through STS AssumeRole, on top of the static or default-chain credentials.',
  }),
  sessionName: field.string({
    default: DEFAULT_SESSION_NAME,
    description: 'Role session name for assumeRoleArn.',
  }),
  trustAnchorArn: field.string({ description: 'IAM Roles Anywhere trust anchor: not supported (init fails).' }),
  trustProfileArn: field.string({ description: 'IAM Roles Anywhere profile: not supported (init fails).' }),
};

/** contrib's pub/sub snssqs upgrades these legacy names first (`awsAccountID` really held the access key). */
const LEGACY_ALIASES: Record<string, string> = {
  awsAccountID: 'accessKey',
  awsSecret: 'secretKey',
};

export type AwsCredentialSource = 'static' | 'default-chain';

export interface AwsSettings {
  region: string;
  /** Absolute URL, or undefined for the SDK's own endpoint resolution. */
  endpoint: string | undefined;
  /** Static keys when both accessKey and secretKey are given. */
  staticCredentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
  assumeRole: { roleArn: string; sessionName: string } | undefined;
  /** Where the base credentials come from (for logs: never the values). */
  credentialSource: AwsCredentialSource;
}

export interface ParseAwsOptions {
  /** Scheme put in front of an endpoint given without one (`host:port`). Default `https`. */
  defaultScheme?: 'http' | 'https';
  /** Accept contrib snssqs's legacy names `awsAccountID` / `awsSecret` (the canonical names win). */
  legacyAliases?: boolean;
  /** Environment for the region fallback (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/** Validates the AWS auth fields of `properties`. Errors name the field; secret values never appear in them. */
export function parseAwsSettings(properties: Metadata, options: ParseAwsOptions = {}): AwsSettings {
  const props = options.legacyAliases ? upgradeLegacy(properties) : properties;
  const m = parseMetadata(props, awsAuthMetadataSchema);
  const env = options.env ?? process.env;
  const region = m.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (region === undefined || region === '') {
    throw new InvalidMetadataError('region', 'is required (or set AWS_REGION in the environment)');
  }
  if (!/^[a-z0-9-]+$/.test(region)) {
    throw new InvalidMetadataError('region', `'${region}' is not an AWS region name (e.g. us-east-1)`);
  }
  if (m.trustAnchorArn !== undefined || m.trustProfileArn !== undefined) {
    throw new InvalidMetadataError(
      m.trustAnchorArn !== undefined ? 'trustAnchorArn' : 'trustProfileArn',
      'IAM Roles Anywhere is not supported by daprkit; use static keys, the default credential chain or assumeRoleArn',
    );
  }
  if ((m.accessKey === undefined) !== (m.secretKey === undefined)) {
    throw new InvalidMetadataError(
      m.accessKey === undefined ? 'accessKey' : 'secretKey',
      'accessKey and secretKey must be given together (or neither, for the default credential chain)',
    );
  }
  if (m.sessionToken !== undefined && m.accessKey === undefined) {
    throw new InvalidMetadataError('sessionToken', 'needs accessKey and secretKey');
  }
  if (m.assumeRoleArn !== undefined && !/^arn:[a-z-]+:iam::\d{12}:role\/.+$/.test(m.assumeRoleArn)) {
    throw new InvalidMetadataError('assumeRoleArn', `'${m.assumeRoleArn}' is not an IAM role ARN`);
  }
  return {
    region,
    endpoint: m.endpoint === undefined ? undefined : parseEndpoint(m.endpoint, options.defaultScheme ?? 'https'),
    staticCredentials:
      m.accessKey === undefined || m.secretKey === undefined
        ? undefined
        : {
            accessKeyId: m.accessKey,
            secretAccessKey: m.secretKey,
            ...(m.sessionToken !== undefined && { sessionToken: m.sessionToken }),
          },
    assumeRole: m.assumeRoleArn === undefined ? undefined : { roleArn: m.assumeRoleArn, sessionName: m.sessionName },
    credentialSource: m.accessKey === undefined ? 'default-chain' : 'static',
  };
}

function upgradeLegacy(properties: Metadata): Metadata {
  const lower = new Set(Object.keys(properties).map((k) => k.toLowerCase()));
  const out: Metadata = { ...properties };
  for (const [legacy, canonical] of Object.entries(LEGACY_ALIASES)) {
    const hit = Object.keys(properties).find((k) => k.toLowerCase() === legacy.toLowerCase());
    if (hit === undefined) continue;
    if (!lower.has(canonical.toLowerCase())) out[canonical] = properties[hit]!;
    delete out[hit];
  }
  return out;
}

/** An absolute http(s) URL; `host:port` gets `scheme://` in front (contrib's S3 `disableSSL` rule). */
export function parseEndpoint(raw: string, scheme: 'http' | 'https'): string {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `${scheme}://${raw}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidMetadataError('endpoint', `'${raw}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidMetadataError('endpoint', `'${raw}' must be an http or https URL`);
  }
  return text.replace(/\/+$/, '');
}
