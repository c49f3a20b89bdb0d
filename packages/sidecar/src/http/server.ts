/**
 * The Dapr HTTP API on plain `node:http`: API-token check, routing to one route file per building block
 * (<area>-routes.ts), and the one place that turns errors into responses.
 */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isTracedPath, startHttpSpan } from '../observability/api-spans.js';
import type { Runtime } from '../runtime.js';
import { tokenMatches } from '../shared/api-token.js';
import { ApiError, toApiError } from '../shared/errors.js';
import { registerBindingsRoutes } from './bindings-routes.js';
import { registerInvokeRoutes } from './invoke-routes.js';
import { sendError, sendText } from './io.js';
import { registerMetadataRoutes } from './metadata-routes.js';
import { registerPubSubRoutes } from './pubsub-routes.js';
import { Router } from './router.js';
import { registerSecretsRoutes } from './secrets-routes.js';
import { registerStateRoutes } from './state-routes.js';

export const API_TOKEN_HEADER = 'dapr-api-token';
const TOKEN_EXEMPT = new Set(['v1.0/healthz', 'v1.0/healthz/outbound']);

/** One line per building block; routes are matched in this order (their patterns do not overlap). */
const ROUTE_GROUPS: readonly ((router: Router, runtime: Runtime) => void)[] = [
  registerStateRoutes,
  registerPubSubRoutes,
  registerBindingsRoutes,
  registerSecretsRoutes,
  registerMetadataRoutes,
  registerInvokeRoutes,
];

export function buildRouter(runtime: Runtime): Router {
  const router = new Router();
  for (const register of ROUTE_GROUPS) register(router, runtime);
  return router;
}

export interface HttpApiOptions {
  host: string;
  port: number;
  apiToken?: string;
}

export async function startHttpApi(
  runtime: Runtime,
  options: HttpApiOptions,
): Promise<{ server: Server; port: number }> {
  const router = buildRouter(runtime);
  const { tracer } = runtime;
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const match = router.match(req.method ?? 'GET', path);
    if (match.kind === 'not-found') return sendText(res, 404, '404 page not found');
    if (match.kind === 'method-not-allowed') return sendText(res, 405, 'Method Not Allowed');
    if (match.kind === 'bad-path') return sendText(res, 400, 'invalid path escape');
    const span =
      tracer !== undefined && isTracedPath(path)
        ? startHttpSpan(tracer, req, res, path, match.pattern, match.params)
        : undefined;
    if (options.apiToken && !(req.method === 'GET' && TOKEN_EXEMPT.has(match.pattern))) {
      const given = req.headers[API_TOKEN_HEADER];
      if (!tokenMatches(typeof given === 'string' ? given : undefined, options.apiToken))
        return sendText(res, 401, 'invalid api token');
    }
    delete req.headers[API_TOKEN_HEADER];
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    match.handler({ req, res, params: match.params, query, span }).catch((error: unknown) => {
      const apiError = toApiError(error);
      if (!(error instanceof ApiError))
        runtime.logger.error('unexpected error in HTTP API', { path: match.pattern, error: apiError.message });
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendError(res, apiError);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}
