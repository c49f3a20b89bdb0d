/** HTTP secrets (spec §2.4): decoding into api/secrets.ts. */
import { getBulkSecrets, getSecret } from '../api/secrets.js';
import { withComponentTrace } from '../observability/propagation.js';
import type { Runtime } from '../runtime.js';
import { queryMetadata, sendJson } from './io.js';
import type { Router } from './router.js';

export function registerSecretsRoutes(router: Router, runtime: Runtime): void {
  const context = { components: runtime.components, secretScopes: runtime.configuration.secretScopes };
  router.add(['GET'], '/v1.0/secrets/{storeName}/bulk', async ({ res, params, query, span }) => {
    const secrets = await withComponentTrace(span?.context, () =>
      getBulkSecrets(context, params.storeName!, queryMetadata(query)),
    );
    sendJson(res, 200, secrets);
  });
  router.add(['GET'], '/v1.0/secrets/{storeName}/{key}', async ({ res, params, query, span }) => {
    const secret = await withComponentTrace(span?.context, () =>
      getSecret(context, params.storeName!, params.key!, queryMetadata(query)),
    );
    sendJson(res, 200, secret);
  });
}
