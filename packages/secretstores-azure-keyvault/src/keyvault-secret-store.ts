import { randomUUID } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { SecretClient } from '@azure/keyvault-secrets';
import {
  FailedPreconditionError,
  InvalidMetadataError,
  type Logger,
  type Metadata,
  NotFoundError,
  parseMetadata,
  type Secret,
  type SecretStore,
  type SecretStoreFeature,
  silentLogger,
  UnavailableError,
} from '@daprkit/component-sdk';
import { type AzureClientOptions, createCredential, credentialFields } from './credential.js';
import { azureErrorSummary, isAuthenticationFailure, isNotFound, keyVaultError } from './errors.js';
import { type KeyVaultSettings, keyVaultRequestMetadataSchema, parseKeyVaultSettings } from './metadata.js';
import { VERSION } from './version.js';

/** Below daprd's default 5 s init timeout, so our error (naming the field) is the one reported. */
const INIT_TIMEOUT_MS = 4500;
/** Key Vault's own page limit. */
const MAX_PAGE_SIZE = 25;
const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;

export interface KeyVaultSecretStoreOptions {
  logger?: Logger;
  /**
   * Extra trusted CA certificates (PEM), added to Node's bundled roots, for emulators and private CAs.
   * Processes can use NODE_EXTRA_CA_CERTS instead.
   */
  extraCaCertificates?: string;
}

/**
 * Azure Key Vault secrets through @azure/keyvault-secrets: one secret = `{name: value}` (no multi-valued
 * secrets), latest version unless `version_id` asks for another. Nothing is cached: every call reads the vault.
 */
export class KeyVaultSecretStore implements SecretStore {
  private client: SecretClient | undefined;
  private closed = false;
  private readonly logger: Logger;
  private readonly clientOptions: AzureClientOptions;

  constructor(options: KeyVaultSecretStoreOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.clientOptions = {
      userAgentOptions: { userAgentPrefix: `daprkit-${VERSION}` },
      ...(options.extraCaCertificates !== undefined && {
        tlsOptions: { ca: [...rootCertificates, options.extraCaCertificates] },
      }),
    };
  }

  /** Builds the client, then proves vault, TLS and credentials with one read, bounded by INIT_TIMEOUT_MS. */
  async init(properties: Metadata): Promise<void> {
    if (this.closed) throw new FailedPreconditionError('component is closed');
    const settings = parseKeyVaultSettings(properties);
    const credential = await createCredential(settings, this.clientOptions);
    const clientOptions = {
      ...this.clientOptions,
      disableChallengeResourceVerification: settings.disableChallengeResourceVerification,
    };
    // The probe does not retry, so a refused connection or bad certificate fails at once with its cause.
    const probe = new SecretClient(settings.vaultUrl, credential, {
      ...clientOptions,
      retryOptions: { maxRetries: 0 },
    });
    try {
      // A name no one uses: 404 means the vault answered and accepted our token.
      await probe.getSecret(`daprkit-init-probe-${randomUUID()}`, {
        abortSignal: AbortSignal.timeout(INIT_TIMEOUT_MS),
      });
    } catch (error) {
      this.checkProbeFailure(error, settings);
    }
    this.client = new SecretClient(settings.vaultUrl, credential, clientOptions);
    this.logger.info('connected to Key Vault', { vault: settings.vaultUrl, auth: settings.principal.kind });
  }

  /** Returns when the probe's failure still proves a working vault; otherwise throws naming the field to fix. */
  private checkProbeFailure(error: unknown, settings: KeyVaultSettings): void {
    if (isNotFound(error)) return;
    if ((error as { statusCode?: number }).statusCode === 403) {
      this.logger.warn('the vault refused the probe read; secret reads may fail', { vault: settings.vaultUrl });
      return;
    }
    if (isAuthenticationFailure(error)) {
      throw new InvalidMetadataError(credentialFields(settings), `authentication failed: ${azureErrorSummary(error)}`);
    }
    const name = (error as Error).name;
    const reason =
      name === 'AbortError' || name === 'TimeoutError'
        ? `no answer from ${settings.vaultUrl} within ${INIT_TIMEOUT_MS} ms`
        : `${settings.vaultUrl}: ${azureErrorSummary(error)}`;
    throw new UnavailableError(`metadata '${settings.vaultField}': ${reason}`, { cause: error });
  }

  features(): readonly SecretStoreFeature[] {
    return [];
  }

  async getSecret({ name, metadata }: { name: string; metadata: Metadata }): Promise<Secret> {
    const client = this.openClient();
    const { version_id: version } = parseMetadata(metadata, keyVaultRequestMetadataSchema);
    const subject = `secret ${name}${version === undefined ? '' : ` version ${version}`}`;
    // Such a name cannot exist in Key Vault; refusing it here also keeps '/' out of the request path.
    if (!SECRET_NAME.test(name))
      throw new NotFoundError(`${subject} not found: Key Vault names are letters, digits and '-'`);
    try {
      const secret = await client.getSecret(name, version === undefined ? {} : { version });
      return { [name]: secret.value ?? '' };
    } catch (error) {
      throw keyVaultError(error, subject);
    }
  }

  /** Enabled secrets, latest versions, page by page; `maxresults` caps the result exactly. */
  async bulkGetSecret({ metadata }: { metadata: Metadata }): Promise<Record<string, Secret>> {
    const client = this.openClient();
    const { maxresults } = parseMetadata(metadata, keyVaultRequestMetadataSchema);
    const maxPageSize = Math.min(maxresults ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE);
    const secrets: Record<string, Secret> = {};
    let count = 0;
    try {
      for await (const page of client.listPropertiesOfSecrets().byPage({ maxPageSize })) {
        const wanted = page.filter((p) => p.enabled !== false).slice(0, (maxresults ?? Infinity) - count);
        const values = await Promise.all(
          wanted.map(({ name }) =>
            client.getSecret(name).then(
              (secret) => [name, secret.value ?? ''] as const,
              // Deleted between listing and reading: no longer part of the vault.
              (error: unknown) => (isNotFound(error) ? undefined : Promise.reject(error)),
            ),
          ),
        );
        for (const entry of values) {
          if (entry === undefined) continue;
          secrets[entry[0]] = { [entry[0]]: entry[1] };
          count++;
        }
        if (maxresults !== undefined && count >= maxresults) break;
      }
    } catch (error) {
      throw keyVaultError(error, 'listing secrets');
    }
    return secrets;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.client = undefined;
  }

  private openClient(): SecretClient {
    if (this.closed) throw new FailedPreconditionError('component is closed');
    if (this.client === undefined) throw new FailedPreconditionError('component is not initialised');
    return this.client;
  }
}

export function createKeyVaultSecretStore(options?: KeyVaultSecretStoreOptions): KeyVaultSecretStore {
  return new KeyVaultSecretStore(options);
}
