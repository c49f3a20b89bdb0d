import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  errnoOf,
  type Logger,
  type Metadata,
  NotFoundError,
  type Secret,
  type SecretStore,
  SecretStoreFeature,
  silentLogger,
  unusablePathError,
} from '@daprkit/component-sdk';
import { flattenJson } from './flatten.js';
import { parseFileSecretStoreMetadata } from './metadata.js';

/** What secretsFile must name; the one answer for every way it can fail (see unusablePathError). */
const REQUIREMENT = 'must name a readable JSON file whose top level is an object';

/** Parse errors from V8 quote the offending text, which may be a secret: the position only, for the debug log. */
function parseReason(error: unknown): string {
  const position = /position (\d+)/.exec((error as Error).message)?.[1];
  return `not valid JSON${position === undefined ? '' : ` (near position ${position})`}`;
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

  constructor(private readonly logger: Logger = silentLogger) {}

  async init(properties: Metadata): Promise<void> {
    const settings = parseFileSecretStoreMetadata(properties);
    const path = resolve(settings.secretsFile);
    // Init may come from any local user who can reach the socket: one answer whether the file is missing,
    // unreadable, not JSON or of the wrong shape, so Init cannot probe the file system.
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw unusablePathError('secretsFile', REQUIREMENT, `cannot read: ${errnoOf(error)}`, this.logger);
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (error) {
      throw unusablePathError('secretsFile', REQUIREMENT, parseReason(error), this.logger);
    }
    try {
      this.secrets = secretsOf(document, settings.nestedSeparator, settings.multiValued);
    } catch (error) {
      throw unusablePathError('secretsFile', REQUIREMENT, (error as Error).message, this.logger);
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
