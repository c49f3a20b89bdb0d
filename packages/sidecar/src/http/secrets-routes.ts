/** HTTP secrets (spec §2.4): decoding into api/secrets.ts. */
import { getBulkSecrets, getSecret } from '../api/secrets.js';
import type { Runtime } from '../runtime.js';
import { queryMetadata, sendJson } from './io.js';
import type { Router } from './router.js';

export function registerSecretsRoutes(router: Router, runtime: Runtime): void {
  const context = { components: runtime.components, secretScopes: runtime.configuration.secretScopes };
  router.add(['GET'], '/v1.0/secrets/{storeName}/bulk', async ({ res, params, query }) => {
    sendJson(res, 200, await getBulkSecrets(context, params.storeName!, queryMetadata(query)));
  });
  router.add(['GET'], '/v1.0/secrets/{storeName}/{key}', async ({ res, params, query }) => {
    sendJson(res, 200, await getSecret(context, params.storeName!, params.key!, queryMetadata(query)));
  });
}
