/**
 * The Dapr HTTP API on plain `node:http`: API-token check, routing to one route file per building block
 * (<area>-routes.ts), and the one place that turns errors into responses.
 */

import { rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { isTracedPath, startHttpSpan, TracedServerResponse } from '../observability/api-spans.js';
import { httpObserver } from '../observability/observe-api.js';
import type { Runtime } from '../runtime.js';
import { tokenMatches } from '../shared/api-token.js';
import { ApiError, apiError, toApiError } from '../shared/errors.js';
import { registerBindingsRoutes } from './bindings-routes.js';
import { browserRejection, isLoopbackHost } from './browser-guard.js';
import { createCors } from './cors.js';
import { invokeFallback, registerInvokeRoutes } from './invoke-routes.js';
import { bodyTooLarge, MAX_BODY_BYTES, sendError, sendText, setBodyLimit } from './io.js';
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
  /** More addresses served on the same port (`--dapr-listen-addresses`). */
  extraHosts?: string[];
  /** A unix socket path instead of host/port (`--unix-domain-socket`). */
  socketPath?: string;
  /** `--max-body-size` in bytes; ≤0 = no limit. */
  maxBodySize?: number;
  /** `--read-buffer-size` in bytes: request line + headers, with Go's 4 KiB of slack. */
  readBufferSize?: number;
  /** `--allowed-origins`. */
  allowedOrigins?: string;
  /** Serve browser-originated writes even without an API token (browser-guard.ts). */
  allowBrowserRequests?: boolean;
  /** Only these route patterns (`--dapr-public-port`: health and metadata, as daprd's public endpoints). */
  onlyRoutes?: ReadonlySet<string>;
}

/** daprd's public endpoints (pkg/api/http/http.go publicEndpoints): metadata and health. */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set([
  'v1.0/metadata',
  'v1.0/metadata/{key}',
  'v1.0/healthz',
  'v1.0/healthz/outbound',
]);

/** Go's net/http adds this much to MaxHeaderBytes before it answers 431. */
const GO_HEADER_SLACK = 4096;

/** A malformed or oversized request head: answered as Go does, then the connection is ended gracefully. */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) return void socket.destroy();
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${status}`);
}

export async function startHttpApi(
  runtime: Runtime,
  options: HttpApiOptions,
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const router = buildRouter(runtime);
  const observe = httpObserver(runtime, runtime.logger);
  const { tracer } = runtime;
  const fallback = invokeFallback(runtime);
  const maxBody =
    options.maxBodySize === undefined ? MAX_BODY_BYTES : options.maxBodySize > 0 ? options.maxBodySize : Infinity;
  const cors = createCors(options.allowedOrigins);
  const guard = !options.apiToken && !options.allowBrowserRequests;
  const loopbackListener =
    options.socketPath === undefined && [options.host, ...(options.extraHosts ?? [])].every(isLoopbackHost);
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (cors?.handle(req, res)) return;
    if (guard) {
      const rejection = browserRejection(req, cors, loopbackListener);
      if (rejection)
        return sendError(res, apiError('browserRequestRejected', { message: rejection }), closeIfUnread(req));
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBody) return sendError(res, bodyTooLarge(maxBody), { Connection: 'close' });
    setBodyLimit(req, maxBody);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const match = router.match(req.method ?? 'GET', path);
    observe?.(req, res, path, match.kind === 'found' ? match.pattern : undefined);
    // The public port (--dapr-public-port) serves its few routes only; the API falls through to invocation below.
    if (options.onlyRoutes && !(match.kind === 'found' && options.onlyRoutes.has(match.pattern)))
      return sendText(res, 404, '404 page not found');
    if (match.kind === 'bad-path') return sendText(res, 400, 'invalid path escape');
    const pattern = match.kind === 'found' ? match.pattern : '';
    const span =
      tracer !== undefined && match.kind === 'found' && isTracedPath(path)
        ? startHttpSpan(tracer, req, res, path, match.pattern, match.params)
        : undefined;
    if (options.apiToken && !(req.method === 'GET' && TOKEN_EXEMPT.has(pattern))) {
      const given = req.headers[API_TOKEN_HEADER];
      if (!tokenMatches(typeof given === 'string' ? given : undefined, options.apiToken))
        return sendText(res, 401, 'invalid api token');
    }
    delete req.headers[API_TOKEN_HEADER];
    // Unknown paths and wrong methods fall through to invocation, as in daprd (spec sidecar-wave2 §1.8).
    if (match.kind !== 'found') {
      fallback(req, res, path).catch((error: unknown) => {
        if (res.headersSent) res.destroy();
        else sendError(res, toApiError(error));
      });
      return;
    }
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    match.handler({ req, res, params: match.params, query, span }).catch((error: unknown) => {
      const apiError = toApiError(error);
      if (!(error instanceof ApiError))
        runtime.logger.error('unexpected error in HTTP API', { path: match.pattern, error: apiError.message });
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendError(res, apiError, closeIfUnread(req));
    });
  };
  const server = createServer(
    {
      maxHeaderSize: (options.readBufferSize ?? 4096) + GO_HEADER_SLACK,
      // Traced responses carry their span as a field (api-spans.ts) rather than per-request wrappers.
      ...(tracer === undefined ? {} : { ServerResponse: TracedServerResponse }),
    },
    handle,
  );
  // `Expect: 100-continue` with a body over the limit: refused before the client sends it.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (Number(req.headers['content-length'] ?? 0) <= maxBody) res.writeContinue();
    handle(req, res);
  });
  server.keepAliveTimeout = 65_000;
  server.on('clientError', answerClientError);
  const listen = (target: Server | NetServer, args: [string] | [number, string]) =>
    new Promise<void>((resolve, reject) => {
      target.once('error', reject);
      target.listen(...(args as [number, string]), () => {
        target.off('error', reject);
        resolve();
      });
    });
  const extra: NetServer[] = [];
  if (options.socketPath !== undefined) {
    await rm(options.socketPath, { force: true });
    await listen(server, [options.socketPath]);
  } else {
    await listen(server, [options.port, options.host]);
    const port = (server.address() as AddressInfo).port;
    try {
      for (const host of options.extraHosts ?? []) {
        // Same HTTP server, one more listening socket: connections are handed over as they arrive.
        const more = createNetServer((socket) => server.emit('connection', socket));
        await listen(more, [port, host]);
        extra.push(more);
      }
    } catch (error) {
      for (const more of extra) more.close();
      server.close();
      throw error;
    }
  }
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address !== null ? address.port : 0,
    close: async () => {
      for (const more of extra) more.close();
    },
  };
}

/** A response sent before the request body was read ends the connection, so the unread rest cannot be misparsed. */
function closeIfUnread(req: IncomingMessage): Record<string, string> {
  return req.complete ? {} : { Connection: 'close' };
}
