import {
  type Logger,
  type Metadata,
  NotFoundError,
  parseMetadata,
  type Secret,
  type SecretStore,
  type SecretStoreFeature,
  silentLogger,
} from '@daprkit/component-sdk';
import { envSecretStoreMetadataSchema } from './metadata.js';

/** The sidecar's own credentials must never be readable as secrets (contrib blocks the same names). */
export function isReservedVariable(name: string): boolean {
  const upper = name.toUpperCase();
  return upper === 'APP_API_TOKEN' || upper.startsWith('DAPR_');
}

// process.env is case-insensitive on Windows, so prefix matching follows suit there, as in contrib.
const startsWithPrefix =
  process.platform === 'win32'
    ? (name: string, prefix: string) => name.toLowerCase().startsWith(prefix.toLowerCase())
    : (name: string, prefix: string) => name.startsWith(prefix);

/**
 * Secrets are the process's environment variables, read at each call (not snapshotted at init). A missing
 * variable is a NotFoundError — contrib answers an empty string instead, which hides typos.
 */
export class EnvSecretStore implements SecretStore {
  private prefix = '';

  constructor(private readonly logger: Logger = silentLogger) {}

  async init(properties: Metadata): Promise<void> {
    this.prefix = parseMetadata(properties, envSecretStoreMetadataSchema).prefix ?? '';
  }

  features(): readonly SecretStoreFeature[] {
    return [];
  }

  async getSecret({ name }: { name: string; metadata: Metadata }): Promise<Secret> {
    const variable = this.prefix + name;
    if (isReservedVariable(name) || isReservedVariable(variable)) {
      this.logger.warn('access to a reserved environment variable refused', { name });
      throw new NotFoundError(`secret ${name} not found: DAPR_* and APP_API_TOKEN variables are never exposed`);
    }
    const value = process.env[variable];
    if (value === undefined)
      throw new NotFoundError(`secret ${name} not found (environment variable ${variable} is not set)`);
    return { [name]: value };
  }

  async bulkGetSecret(_request: { metadata: Metadata }): Promise<Record<string, Secret>> {
    const secrets: Record<string, Secret> = {};
    for (const [variable, value] of Object.entries(process.env)) {
      if (value === undefined || !startsWithPrefix(variable, this.prefix)) continue;
      const name = variable.slice(this.prefix.length);
      if (name === '' || isReservedVariable(name) || isReservedVariable(variable)) continue;
      secrets[name] = { [name]: value };
    }
    return secrets;
  }
}

export function createEnvSecretStore(logger?: Logger): EnvSecretStore {
  return new EnvSecretStore(logger);
}
