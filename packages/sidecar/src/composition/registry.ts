/**
 * Which npm package implements a component type in process, and how it is loaded: dynamic `import()` resolved from
 * the working directory first (the user's project), then from the sidecar's own dependencies.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ComponentDefinition } from '@daprkit/component-sdk';
import { isObject } from '../shared/json-fields.js';

/** Component type → package exporting `definitions`. Extend with `--registry FILE` or `createSidecar({registry})`. */
export const DEFAULT_REGISTRY: Readonly<Record<string, string>> = {
  'state.in-memory': '@daprkit/state-memory',
  'pubsub.in-memory': '@daprkit/pubsub-memory',
  'state.redis': '@daprkit/state-redis',
  'state.postgresql': '@daprkit/state-postgresql',
  'state.postgres': '@daprkit/state-postgresql',
  'state.mysql': '@daprkit/state-mysql',
  'state.sqlite': '@daprkit/state-sqlite',
  'state.sqlite3': '@daprkit/state-sqlite',
  'state.mongodb': '@daprkit/state-mongodb',
  'pubsub.redis': '@daprkit/pubsub-redis',
  'pubsub.kafka': '@daprkit/pubsub-kafka',
  'pubsub.rabbitmq': '@daprkit/pubsub-rabbitmq',
  'bindings.rabbitmq': '@daprkit/bindings-rabbitmq',
  'bindings.postgres': '@daprkit/bindings-postgresql',
  'bindings.postgresql': '@daprkit/bindings-postgresql',
  'bindings.mysql': '@daprkit/bindings-mysql',
  'bindings.kafka': '@daprkit/bindings-kafka',
  'pubsub.mqtt3': '@daprkit/pubsub-mqtt3',
  'pubsub.mqtt': '@daprkit/pubsub-mqtt3',
  'bindings.mqtt3': '@daprkit/bindings-mqtt3',
  'bindings.mqtt': '@daprkit/bindings-mqtt3',
  'pubsub.jetstream': '@daprkit/pubsub-jetstream',
  'secretstores.local.env': '@daprkit/secretstores-local-env',
  'secretstores.local.file': '@daprkit/secretstores-local-file',
  'secretstores.azure.keyvault': '@daprkit/secretstores-azure-keyvault',
  'bindings.cron': '@daprkit/bindings-cron',
  'bindings.http': '@daprkit/bindings-http',
  'bindings.localstorage': '@daprkit/bindings-localstorage',
  'bindings.redis': '@daprkit/bindings-redis',
  'state.aws.dynamodb': '@daprkit/state-aws-dynamodb',
  'secretstores.aws.secretmanager': '@daprkit/secretstores-aws-secretmanager',
  'bindings.aws.s3': '@daprkit/bindings-aws-s3',
  'pubsub.aws.snssqs': '@daprkit/pubsub-aws-snssqs',
  'pubsub.snssqs': '@daprkit/pubsub-aws-snssqs',
};

export class MissingPackageError extends Error {
  override name = 'MissingPackageError';
}

/** Reads a `{ "<type>": "<package>" }` JSON file. */
export async function readRegistryFile(path: string): Promise<Record<string, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read registry file '${path}': ${(error as Error).message}`);
  }
  if (!isObject(parsed)) {
    throw new Error(`registry file '${path}' must be a JSON object mapping component types to package names`);
  }
  const registry: Record<string, string> = {};
  for (const [type, pkg] of Object.entries(parsed)) {
    if (typeof pkg !== 'string') throw new Error(`registry file '${path}': the package for '${type}' must be a string`);
    registry[type.toLowerCase()] = pkg;
  }
  return registry;
}

/** The ESM entry of `packageName` installed under `fromDir` or one of its ancestors, if any. */
async function findInstalledEntry(packageName: string, fromDir: string): Promise<string | undefined> {
  for (let dir = resolve(fromDir); ; dir = dirname(dir)) {
    const manifestPath = join(dir, 'node_modules', packageName, 'package.json');
    if (existsSync(manifestPath)) {
      const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { exports?: unknown; main?: string };
      const root = (manifest.exports as Record<string, unknown> | undefined)?.['.'] ?? manifest.exports;
      const target =
        typeof root === 'string'
          ? root
          : ((root as Record<string, string> | undefined)?.import ??
            (root as Record<string, string> | undefined)?.default ??
            manifest.main);
      const entry = target === undefined ? undefined : join(dirname(manifestPath), target);
      // A workspace package that was never built has no entry yet: fall through to the sidecar's own resolution.
      return entry !== undefined && existsSync(entry) ? entry : undefined;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

const definitionCache = new Map<string, Promise<ComponentDefinition[]>>();

async function importDefinitions(packageName: string, cwd: string): Promise<ComponentDefinition[]> {
  const entry = await findInstalledEntry(packageName, cwd);
  let module: { definitions?: unknown };
  if (entry !== undefined) {
    module = await import(pathToFileURL(entry).href);
  } else {
    try {
      module = await import(packageName);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(packageName)) {
        throw new MissingPackageError(
          `package '${packageName}' is not installed: run \`npm install ${packageName}\` in your project`,
        );
      }
      throw error;
    }
  }
  if (!Array.isArray(module.definitions)) {
    throw new Error(`package '${packageName}' does not export 'definitions: ComponentDefinition[]'`);
  }
  return module.definitions as ComponentDefinition[];
}

/** The definitions exported by a component package (loaded once per process). */
export function loadPackageDefinitions(packageName: string, cwd = process.cwd()): Promise<ComponentDefinition[]> {
  let cached = definitionCache.get(packageName);
  if (cached === undefined) {
    cached = importDefinitions(packageName, cwd);
    cached.catch(() => definitionCache.delete(packageName));
    definitionCache.set(packageName, cached);
  }
  return cached;
}
