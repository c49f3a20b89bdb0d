/** HTTP service invocation: not implemented yet, so answered in Dapr's own terms instead of a bare 404. */
import type { Runtime } from '../runtime.js';
import { apiError } from '../shared/errors.js';
import { sendError } from './io.js';
import type { Router } from './router.js';

export function registerInvokeRoutes(router: Router, _runtime: Runtime): void {
  router.add(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'], '/v1.0/invoke/{rest*}', async ({ res }) => {
    const message = 'service invocation is not implemented by daprkit-sidecar';
    sendError(res, apiError('apiUnimplemented', { message }));
  });
}
