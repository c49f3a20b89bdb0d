import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  InvalidMetadataError,
  type Metadata,
  NotFoundError,
  type Secret,
  type SecretStore,
  SecretStoreFeature,
} from '@daprkit/component-sdk';
import { flattenJson } from './flatten.js';
import { parseFileSecretStoreMetadata } from './metadata.js';

/** Parse errors from V8 quote the offending text, which may be a secret: report the position only. */
function parseJsonQuietly(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new InvalidMetadataError(
      'secretsFile',
      `'${path}' is not valid JSON${position === undefined ? '' : ` (near position ${position})`}`,
    );
  }
}

function secretsOf(document: unknown, separator: string, multiValued: boolean): Map<string, Secret> {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new Error('the top level must be a JSON object');
  }
  const secrets = new Map<string, Secret>();
  if (multiValued) {
    for (const [name, value] of Object.entries(document)) {
      const isNested = value !== null && typeof value === 'object';
      secrets.set(name, isNested ? flattenJson(value, separator) : flattenJson(value, separator, name));
    }
  } else {
    for (const [name, value] of Object.entries(flattenJson(document, separator))) secrets.set(name, { [name]: value });
  }
  return secrets;
}

/** Secrets from a JSON file, read once at init (as contrib): later edits need a restart. */
export class FileSecretStore implements SecretStore {
  private secrets = new Map<string, Secret>();
  private multiValued = false;

  async init(properties: Metadata): Promise<void> {
    const settings = parseFileSecretStoreMetadata(properties);
    const path = resolve(settings.secretsFile);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new InvalidMetadataError('secretsFile', `cannot read '${path}' (${code})`);
    }
    try {
      this.secrets = secretsOf(parseJsonQuietly(text, path), settings.nestedSeparator, settings.multiValued);
    } catch (error) {
      if (error instanceof InvalidMetadataError) throw error;
      throw new InvalidMetadataError('secretsFile', `'${path}': ${(error as Error).message}`);
    }
    this.multiValued = settings.multiValued;
  }

  features(): readonly SecretStoreFeature[] {
    return this.multiValued ? [SecretStoreFeature.MultipleKeyValuesPerSecret] : [];
  }

  async getSecret({ name }: { name: string; metadata: Metadata }): Promise<Secret> {
    const secret = this.secrets.get(name);
    if (secret === undefined) throw new NotFoundError(`secret ${name} not found`);
    return { ...secret };
  }

  async bulkGetSecret(_request: { metadata: Metadata }): Promise<Record<string, Secret>> {
    return Object.fromEntries([...this.secrets].map(([name, secret]) => [name, { ...secret }]));
  }

  async close(): Promise<void> {
    this.secrets = new Map();
  }
}

export function createFileSecretStore(): FileSecretStore {
  return new FileSecretStore();
}
