/** gRPC secrets (spec §3.1): decoding into api/secrets.ts. */
import { getBulkSecrets, getSecret, type SecretsContext } from '../api/secrets.js';
import type { Runtime } from '../runtime.js';
import type {
  GetBulkSecretRequest,
  GetBulkSecretResponse,
  GetSecretRequest,
  GetSecretResponse,
  HandlerGroup,
} from './wire.js';

export function secretsHandlers(runtime: Runtime) {
  const context = (): SecretsContext => ({
    components: runtime.components,
    secretScopes: runtime.configuration.secretScopes,
  });
  return {
    GetSecret: async (r: GetSecretRequest): Promise<GetSecretResponse> => ({
      data: await getSecret(context(), r.store_name, r.key, r.metadata),
    }),
    GetBulkSecret: async (r: GetBulkSecretRequest): Promise<GetBulkSecretResponse> => {
      const all = await getBulkSecrets(context(), r.store_name, r.metadata);
      return { data: Object.fromEntries(Object.entries(all).map(([k, secrets]) => [k, { secrets }])) };
    },
  } satisfies HandlerGroup;
}
