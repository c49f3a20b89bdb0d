import { type AwsSettings, awsAuthMetadataSchema, parseAwsSettings } from '@daprkit/aws-common';
import { field, InvalidArgumentError, type Metadata, parseDuration, parseMetadata } from '@daprkit/component-sdk';

const s3Fields = {
  bucket: field.string({ required: true, description: 'The bucket every operation works on.' }),
  forcePathStyle: field.bool({
    default: false,
    description: 'Path-style addressing (`<endpoint>/<bucket>/<key>`), needed for moto, LocalStack, MinIO.',
  }),
  decodeBase64: field.bool({ default: false, description: 'Base64-decode upload data (create, bulkCreate).' }),
  encodeBase64: field.bool({ default: false, description: 'Base64-encode downloaded data (get, bulkGet).' }),
  disableSSL: field.bool({
    default: false,
    description: 'Only decides the scheme put in front of an endpoint given without one (http instead of https).',
  }),
  insecureSSL: field.bool({ default: false, description: 'Skip TLS certificate verification.' }),
  filePath: field.string({ description: 'Default local file to upload from (create) or download to (get).' }),
  presignTTL: field.string({ description: 'Default presign lifetime (Go duration, e.g. 15m) for create.' }),
  storageClass: field.string({ description: 'Default storage class for uploads (e.g. STANDARD_IA).' }),
};

/** Component metadata (YAML `spec.metadata`), names and defaults as contrib's `bindings.aws.s3`. */
export const s3MetadataSchema = { ...awsAuthMetadataSchema, ...s3Fields };

export interface S3Settings {
  aws: AwsSettings;
  bucket: string;
  forcePathStyle: boolean;
  insecureSSL: boolean;
  defaults: S3RequestOptions;
}

/** What request metadata may override per call. */
export interface S3RequestOptions {
  decodeBase64: boolean;
  encodeBase64: boolean;
  filePath: string | undefined;
  /** Seconds. */
  presignTTL: number | undefined;
  storageClass: string | undefined;
}

export function parseS3Settings(properties: Metadata): S3Settings {
  const m = parseMetadata(properties, s3Fields);
  return {
    aws: parseAwsSettings(properties, { defaultScheme: m.disableSSL ? 'http' : 'https' }),
    bucket: m.bucket,
    forcePathStyle: m.forcePathStyle,
    insecureSSL: m.insecureSSL,
    defaults: {
      decodeBase64: m.decodeBase64,
      encodeBase64: m.encodeBase64,
      filePath: m.filePath,
      presignTTL: m.presignTTL === undefined ? undefined : presignSeconds(m.presignTTL, 'metadata presignTTL'),
      storageClass: m.storageClass,
    },
  };
}

const requestFields = {
  decodeBase64: field.bool(),
  encodeBase64: field.bool(),
  filePath: field.string(),
  presignTTL: field.string(),
  storageClass: field.string(),
};

/** Request metadata over the component defaults; errors name the request field. */
export function requestOptions(metadata: Metadata, defaults: S3RequestOptions): S3RequestOptions {
  let m: ReturnType<typeof parseMetadata<typeof requestFields>>;
  try {
    m = parseMetadata(metadata, requestFields);
  } catch (error) {
    throw new InvalidArgumentError(`s3 binding error: request ${(error as Error).message}`);
  }
  return {
    decodeBase64: m.decodeBase64 ?? defaults.decodeBase64,
    encodeBase64: m.encodeBase64 ?? defaults.encodeBase64,
    filePath: m.filePath ?? defaults.filePath,
    presignTTL: m.presignTTL === undefined ? defaults.presignTTL : presignSeconds(m.presignTTL, 'presignTTL'),
    storageClass: m.storageClass ?? defaults.storageClass,
  };
}

/** A Go duration (bare numbers are seconds), whole seconds for the presigner, 1 s .. 7 days as S3 allows. */
export function presignSeconds(text: string, what: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new InvalidArgumentError(`s3 binding error: ${what}: '${text}' is not a duration`);
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1 || seconds > 604_800) {
    throw new InvalidArgumentError(`s3 binding error: ${what} must be between 1s and 168h, got '${text}'`);
  }
  return seconds;
}
