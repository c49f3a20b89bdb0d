/** HTTP metadata, health and shutdown endpoints (spec §2.5–§2.7). */
import { metadataDocument, setExtendedMetadata } from '../api/metadata.js';
import type { Runtime } from '../runtime.js';
import { apiError } from '../shared/errors.js';
import { readBody, sendError, sendJson, sendNoContent } from './io.js';
import type { Router } from './router.js';

export function registerMetadataRoutes(router: Router, runtime: Runtime): void {
  router.add(['GET'], '/v1.0/metadata', async ({ res }) => sendJson(res, 200, metadataDocument(runtime)));
  router.add(['PUT'], '/v1.0/metadata/{key}', async ({ req, res, params }) => {
    setExtendedMetadata(runtime.extendedMetadata, params.key!, (await readBody(req)).toString('utf8'));
    sendNoContent(res);
  });

  router.add(['GET'], '/v1.0/healthz', async ({ res, query }) => {
    const appId = query.get('appid');
    if (appId !== null && appId !== '' && appId !== runtime.appId)
      return sendError(res, apiError('healthAppIdMismatch', { message: 'dapr app-id does not match' }));
    if (runtime.health.runtime) return sendNoContent(res);
    sendError(res, apiError('healthNotReady', { message: 'dapr is not ready: [runtime]' }));
  });
  router.add(['GET'], '/v1.0/healthz/outbound', async ({ res }) => {
    if (runtime.health.outbound) return sendNoContent(res);
    sendError(res, apiError('outboundHealthNotReady', { message: 'dapr outbound is not ready' }));
  });

  router.add(['POST'], '/v1.0/shutdown', async ({ req, res }) => {
    sendNoContent(res);
    runtime.requestShutdown(String(req.headers['dapr-force-shutdown'] ?? '').toLowerCase() === 'true');
  });
}
