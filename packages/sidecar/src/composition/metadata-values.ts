/**
 * Turns a component's `spec.metadata` into the string map handed to `init` (spec §1.2, §1.3): value stringification,
 * `{uuid}`/`{appID}`/`{namespace}`/`{podName}` templates, `envRef` and `secretKeyRef`. Never logs or echoes values.
 */
import { randomUUID } from 'node:crypto';
import type { Logger, Metadata, SecretStore } from '@daprkit/component-sdk';
import { stringifyMetadataValue } from '../resources/load.js';
import type { ComponentResource } from '../resources/types.js';

export class ComponentConfigError extends Error {
  override name = 'ComponentConfigError';
}

function substituteTemplates(value: string, appId: string, where: string): string {
  if (!value.includes('{')) return value;
  return value
    .replaceAll('{uuid}', () => randomUUID())
    .replaceAll('{appID}', appId)
    .replaceAll('{namespace}', `${process.env.NAMESPACE || 'default'}.${appId}`)
    .replaceAll('{podName}', () => {
      const pod = process.env.POD_NAME;
      if (!pod) throw new ComponentConfigError(`${where}: '{podName}' is used but POD_NAME is not set`);
      return pod;
    });
}

/** daprd's deny list for envRef: no sidecar credentials may leak into component metadata. */
function envRefAllowed(variable: string): boolean {
  if (variable === '' || /\s/.test(variable) || variable === 'APP_API_TOKEN' || /^DAPR_/i.test(variable)) return false;
  const allowList = process.env.DAPR_ENV_KEYS;
  return allowList === undefined || allowList.split(' ').includes(variable);
}

export interface ResolveContext {
  appId: string;
  logger: Logger;
  secretStores: ReadonlyMap<string, { store: SecretStore }>;
}

export async function resolveComponentMetadata(
  resource: ComponentResource,
  context: ResolveContext,
): Promise<Metadata> {
  const properties: Metadata = {};
  const secretCache = new Map<string, Promise<Record<string, string>>>();
  for (const item of resource.metadata) {
    const where = `component '${resource.name}' metadata '${item.name}'`;
    let value = stringifyMetadataValue(item.value);
    if (item.value === undefined && item.envRef !== undefined) {
      if (envRefAllowed(item.envRef)) value = process.env[item.envRef] ?? '';
      else
        context.logger.warn('envRef not allowed; value left empty', {
          component: resource.name,
          field: item.name,
          envRef: item.envRef,
        });
    }
    if (item.secretKeyRef !== undefined && item.secretKeyRef.name !== '') {
      const storeName = resource.secretStore ?? '';
      const ref = item.secretKeyRef;
      if (storeName === '') {
        throw new ComponentConfigError(
          `${where}: secretKeyRef '${ref.name}' needs 'auth.secretStore' naming a loaded secret store`,
        );
      }
      const entry = context.secretStores.get(storeName);
      if (entry === undefined) {
        throw new ComponentConfigError(
          `${where}: secretKeyRef '${ref.name}' uses secret store '${storeName}', which is not loaded`,
        );
      }
      let secret = secretCache.get(ref.name);
      if (secret === undefined) {
        secret = entry.store.getSecret({
          name: ref.name,
          metadata: resource.namespace ? { namespace: resource.namespace } : {},
        });
        secretCache.set(ref.name, secret);
      }
      let data: Record<string, string>;
      try {
        data = await secret;
      } catch (error) {
        // The store's error text names the secret, never its value.
        throw new ComponentConfigError(
          `${where}: secret '${ref.name}' from store '${storeName}' failed: ${(error as Error).message}`,
        );
      }
      const resolved = data[ref.key ?? ref.name];
      if (resolved === undefined || resolved === '') {
        throw new ComponentConfigError(
          `${where}: secret '${ref.name}' in store '${storeName}' has no key '${ref.key ?? ref.name}'`,
        );
      }
      value = resolved;
    }
    properties[item.name] = substituteTemplates(value, context.appId, where);
  }
  return properties;
}
