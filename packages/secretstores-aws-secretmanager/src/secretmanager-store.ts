import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  ListSecretsCommand,
  type ListSecretsCommandOutput,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { awsClientConfig, awsErrorName, awsErrorSummary, toAwsError } from '@daprkit/aws-common';
import {
  FailedPreconditionError,
  InvalidMetadataError,
  type Logger,
  type Metadata,
  NotFoundError,
  type Secret,
  type SecretStore,
  SecretStoreFeature,
  silentLogger,
  UnavailableError,
} from '@daprkit/component-sdk';
import { parseRequestMetadata, parseSecretManagerSettings } from './metadata.js';

/** Below daprd's default 5 s init timeout, so our error (naming the field) is the one reported. */
const INIT_TIMEOUT_MS = 4500;

export interface SecretManagerStoreOptions {
  logger?: Logger;
}

/**
 * AWS Secrets Manager through @aws-sdk/client-secrets-manager, as contrib: a secret is `{<Name>: SecretString}`
 * (the key is the name AWS returns, so a lookup by ARN answers the friendly name), or with
 * `multipleKeyValuesPerSecret` the SecretString's top-level JSON keys. Binary-only secrets are an empty map.
 */
export class SecretManagerStore implements SecretStore {
  readonly #logger: Logger;
  #client: SecretsManagerClient | undefined;
  #multiple = false;
  #closed = false;

  constructor(options: SecretManagerStoreOptions = {}) {
    this.#logger = options.logger ?? silentLogger;
  }

  async init(properties: Metadata): Promise<void> {
    if (this.#closed) throw new FailedPreconditionError('component is closed');
    if (this.#client !== undefined) throw new FailedPreconditionError('component is already initialised');
    const settings = parseSecretManagerSettings(properties);
    const client = new SecretsManagerClient(awsClientConfig(settings.aws));
    // contrib does no I/O at init; one cheap list call makes region, endpoint and credentials fail here, by field.
    try {
      await client.send(new ListSecretsCommand({ MaxResults: 1 }), {
        abortSignal: AbortSignal.timeout(INIT_TIMEOUT_MS),
      });
    } catch (error) {
      client.destroy();
      const name = awsErrorName(error);
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new UnavailableError(`secrets manager: no answer within ${INIT_TIMEOUT_MS} ms`, { cause: error });
      }
      if (name === 'AccessDeniedException') {
        // Reads of single secrets may still be allowed: a list permission is not required.
        this.#logger.warn('ListSecrets was refused; bulk get will fail', { region: settings.aws.region });
      } else if (name === 'UnrecognizedClientException' || name === 'InvalidSignatureException') {
        throw new InvalidMetadataError('accessKey', `credentials rejected: ${awsErrorSummary(error)}`, {
          cause: error,
        });
      } else {
        throw toAwsError(error, 'secrets manager init');
      }
    }
    this.#client = client;
    this.#multiple = settings.multipleKeyValuesPerSecret;
    this.#logger.info('connected to Secrets Manager', {
      region: settings.aws.region,
      credentials: settings.aws.credentialSource,
    });
  }

  features(): readonly SecretStoreFeature[] {
    return this.#multiple ? [SecretStoreFeature.MultipleKeyValuesPerSecret] : [];
  }

  async getSecret({ name, metadata }: { name: string; metadata: Metadata }): Promise<Secret> {
    const client = this.#open();
    const { versionId, versionStage } = parseRequestMetadata(metadata);
    let out: GetSecretValueCommandOutput;
    try {
      out = await client.send(
        new GetSecretValueCommand({
          SecretId: name,
          ...(versionId !== undefined && { VersionId: versionId }),
          ...(versionStage !== undefined && { VersionStage: versionStage }),
        }),
      );
    } catch (error) {
      throw secretError(error, name);
    }
    return this.#format(out, name);
  }

  /** Every secret (ListSecrets page by page), each at its current version. The first failed read aborts. */
  async bulkGetSecret(_request: { metadata: Metadata }): Promise<Record<string, Secret>> {
    const client = this.#open();
    const all: Record<string, Secret> = {};
    let token: string | undefined;
    do {
      let page: ListSecretsCommandOutput;
      try {
        page = await client.send(new ListSecretsCommand({ ...(token !== undefined && { NextToken: token }) }));
      } catch (error) {
        throw toAwsError(error, "couldn't list secrets");
      }
      for (const entry of page.SecretList ?? []) {
        if (entry.Name === undefined) continue;
        let out: GetSecretValueCommandOutput;
        try {
          out = await client.send(new GetSecretValueCommand({ SecretId: entry.Name }));
        } catch (error) {
          throw secretError(error, entry.Name);
        }
        all[entry.Name] = this.#format(out, entry.Name);
      }
      token = page.NextToken;
    } while (token !== undefined && token !== '');
    return all;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = undefined;
    client?.destroy();
  }

  #format(out: GetSecretValueCommandOutput, requested: string): Secret {
    if (out.SecretString === undefined) return {};
    const name = out.Name ?? requested;
    if (this.#multiple) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(out.SecretString);
      } catch {
        parsed = undefined;
      }
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        const secret: Secret = {};
        for (const [k, v] of Object.entries(parsed)) secret[k] = typeof v === 'string' ? v : JSON.stringify(v);
        return secret;
      }
    }
    return { [name]: out.SecretString };
  }

  #open(): SecretsManagerClient {
    if (this.#client !== undefined) return this.#client;
    throw new FailedPreconditionError(this.#closed ? 'component is closed' : 'component is not initialised');
  }
}

/** contrib's text `couldn't get secret: <aws error>`; a missing secret is a NotFoundError (daprd: 500 either way). */
function secretError(error: unknown, name: string) {
  const mapped = toAwsError(error, `couldn't get secret: ${name}`);
  if (awsErrorName(error) === 'ResourceNotFoundException' && !(mapped instanceof NotFoundError)) {
    return new NotFoundError(mapped.message, { cause: error });
  }
  return mapped;
}

export function createSecretManagerStore(options: SecretManagerStoreOptions = {}): SecretManagerStore {
  return new SecretManagerStore(options);
}
