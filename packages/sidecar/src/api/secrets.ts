/** Secrets (spec §2.4) with the Configuration's secret scopes (spec §6.3). */
import type { Metadata, Secret } from '@daprkit/component-sdk';
import type { ComponentTable, SecretStoreEntry } from '../composition/table.js';
import type { SecretScope } from '../resources/types.js';
import { apiError, errorText } from '../shared/errors.js';

export interface SecretsContext {
  components: ComponentTable;
  secretScopes: readonly SecretScope[];
}

function secretStoreOf(context: SecretsContext, storeName: string): SecretStoreEntry {
  if (context.components.secretStores.size === 0) {
    throw apiError('secretStoresNotConfigured', { message: 'secret store is not configured' });
  }
  const entry = context.components.secretStores.get(storeName);
  if (entry === undefined) {
    throw apiError('secretStoreNotFound', { message: `failed finding secret store with key ${storeName}` });
  }
  return entry;
}

export function isSecretAllowed(scopes: readonly SecretScope[], storeName: string, key: string): boolean {
  const scope = scopes.find((s) => s.storeName === storeName);
  if (scope === undefined) return true;
  if (scope.allowedSecrets.length > 0) return scope.allowedSecrets.includes(key);
  if (scope.deniedSecrets.includes(key)) return false;
  return scope.defaultAccess !== 'deny';
}

export async function getSecret(
  context: SecretsContext,
  storeName: string,
  key: string,
  metadata: Metadata,
): Promise<Secret> {
  const entry = secretStoreOf(context, storeName);
  if (!isSecretAllowed(context.secretScopes, storeName, key)) {
    throw apiError('secretPermissionDenied', {
      message: `access denied by policy to get "${key}" from "${storeName}"`,
    });
  }
  try {
    return await entry.store.getSecret({ name: key, metadata });
  } catch (error) {
    throw apiError('secretGet', {
      message: `failed getting secret with key ${key} from secret store ${storeName}: ${errorText(error)}`,
    });
  }
}

export async function getBulkSecrets(
  context: SecretsContext,
  storeName: string,
  metadata: Metadata,
): Promise<Record<string, Secret>> {
  const entry = secretStoreOf(context, storeName);
  let all: Record<string, Secret>;
  try {
    all = await entry.store.bulkGetSecret({ metadata });
  } catch (error) {
    throw apiError('secretGet', {
      message: `failed getting secrets from secret store ${storeName}: ${errorText(error)}`,
    });
  }
  return Object.fromEntries(
    Object.entries(all).filter(([key]) => isSecretAllowed(context.secretScopes, storeName, key)),
  );
}
