/** AWS SDK v3 client configuration from validated settings: one place for region, endpoint and credentials. */
import { fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsSettings } from './metadata.js';

type Provider = ReturnType<typeof fromNodeProviderChain>;
type StaticCredentials = NonNullable<AwsSettings['staticCredentials']>;

/** What every `new XxxClient(config)` of the SDK v3 accepts. */
export interface AwsClientConfig {
  region: string;
  endpoint?: string;
  credentials: Provider | StaticCredentials;
  maxAttempts?: number;
}

/**
 * Static keys, else the SDK's default chain (environment, shared config/SSO, web identity, container and instance
 * metadata); with `assumeRole`, STS AssumeRole on top of either (through the same endpoint when one is set).
 */
export function awsCredentials(settings: AwsSettings): Provider | StaticCredentials {
  const base = settings.staticCredentials ?? fromNodeProviderChain();
  if (settings.assumeRole === undefined) return base;
  return fromTemporaryCredentials({
    masterCredentials: base,
    params: { RoleArn: settings.assumeRole.roleArn, RoleSessionName: settings.assumeRole.sessionName },
    clientConfig: { region: settings.region, ...(settings.endpoint !== undefined && { endpoint: settings.endpoint }) },
  });
}

/** The SDK client configuration; `endpoint` becomes the base endpoint of every service, as in contrib. */
export function awsClientConfig(settings: AwsSettings, extra: { maxAttempts?: number } = {}): AwsClientConfig {
  return {
    region: settings.region,
    ...(settings.endpoint !== undefined && { endpoint: settings.endpoint }),
    credentials: awsCredentials(settings),
    ...(extra.maxAttempts !== undefined && { maxAttempts: extra.maxAttempts }),
  };
}
