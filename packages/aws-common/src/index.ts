/**
 * @daprkit/aws-common — what daprkit's AWS components share: contrib's AWS auth metadata (region/awsRegion,
 * endpoint, accessKey/secretKey/sessionToken, assumeRoleArn/sessionName), the SDK v3 client configuration with the
 * default credential chain, and AWS errors mapped to component-sdk's typed errors. Test support is `./testing`.
 */
export { type AwsClientConfig, awsClientConfig, awsCredentials } from './client.js';
export {
  type AwsErrorShape,
  awsErrorName,
  awsErrorSummary,
  awsStatusCode,
  isAwsNetworkError,
  toAwsError,
} from './errors.js';
export {
  type AwsCredentialSource,
  type AwsSettings,
  awsAuthMetadataSchema,
  DEFAULT_SESSION_NAME,
  type ParseAwsOptions,
  parseAwsSettings,
  parseEndpoint,
} from './metadata.js';
export { VERSION } from './version.js';
