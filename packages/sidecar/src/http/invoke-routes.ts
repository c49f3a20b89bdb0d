/**
 * HTTP service invocation (spec sidecar-wave2 §1.1–§1.4, §1.8): `/v1.0/invoke/{appId}/method/{method…}` with
 * every verb, and the fallback for every other path or wrong method (target from `dapr-app-id` or Basic auth,
 * else JSON 404 ERR_DIRECT_INVOKE). Verb, raw query, headers and body go through; the app's status, headers and
 * body come back unchanged.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { normalizeMethod } from '../invoke/method.js';
import { httpStatusFromGrpc } from '../invoke/status-codes.js';
import { invocationSpan } from '../observability/invoke-spans.js';
import type { TraceSpan } from '../observability/tracing.js';
import type { Runtime } from '../runtime.js';
import { type ApiError, apiError, errorText } from '../shared/errors.js';
import { GRPC, type HeaderMap, type InvokeCall, InvokeError, type InvokeResult, VERBS } from '../shared/invocation.js';
import { canonicalHeaderKey } from '../shared/invocation-headers.js';
import { readBody, sendError } from './io.js';
import type { Router } from './router.js';

const PREFIX = '/v1.0/invoke/';
const NO_APP_ID = 'failed getting app id either from the URL path or the header dapr-app-id';

function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Target and raw method of a request, in daprd's order: `dapr-app-id` header, Basic auth, path form. */
function findTarget(
  req: IncomingMessage,
  path: string,
): { target: string; method: string; viaHeader: boolean } | undefined {
  const header = req.headers['dapr-app-id'];
  const byHeader = Array.isArray(header) ? header[0] : header;
  if (byHeader) return { target: byHeader, method: decodePath(path), viaHeader: true };
  const auth = req.headers.authorization;
  if (auth?.startsWith('Basic ')) {
    const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0 && decoded.slice(0, colon).toLowerCase() === 'dapr-app-id' && decoded.length > colon + 1)
      return { target: decoded.slice(colon + 1), method: decodePath(path), viaHeader: false };
  }
  if (path.startsWith(PREFIX)) {
    const rest = path.slice(PREFIX.length);
    const at = rest.indexOf('/method/');
    if (at > 0) {
      let target: string;
      try {
        target = decodeURIComponent(rest.slice(0, at).replaceAll('+', ' '));
      } catch {
        return undefined;
      }
      return { target, method: decodePath(rest.slice(at + '/method/'.length)), viaHeader: false };
    }
  }
  return undefined;
}

/** Request headers as daprd's metadata: Go canonical names, multiple values kept, routing/token headers out. */
function requestMetadata(req: IncomingMessage, viaHeader: boolean): HeaderMap {
  const metadata: HeaderMap = {};
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name === 'dapr-api-token' || name === 'host' || (viaHeader && name === 'dapr-app-id')) continue;
    const key = canonicalHeaderKey(name);
    const values = metadata[key];
    if (values === undefined) metadata[key] = [raw[i + 1]!];
    else values.push(raw[i + 1]!);
  }
  return metadata;
}

const VALID_HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

function writeResult(res: ServerResponse, head: boolean, result: InvokeResult): void {
  const headers: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(result.headers)) {
    const ok = values.filter((v) => VALID_HEADER_VALUE.test(v));
    if (ok.length > 0 && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) headers[name] = ok;
  }
  let status = result.status;
  let body = result.body;
  let contentType = result.contentType;
  if (status < 100) {
    // A gRPC app behind the callee: its code as HTTP; an error body is the google.rpc.Status as JSON.
    const code = status;
    status = httpStatusFromGrpc(code);
    if (code !== GRPC.OK) {
      const json: Record<string, unknown> = { code };
      if (result.message !== '') json.message = result.message;
      body = Buffer.from(JSON.stringify(json));
      contentType = 'application/json';
    }
  }
  if (contentType !== '') headers['Content-Type'] = [contentType];
  headers['Content-Length'] = [String(body.length)];
  res.writeHead(status, headers);
  res.end(head ? undefined : body);
}

function invokeFailure(target: string, error: unknown): ApiError {
  const message = `failed to invoke, id: ${target}, err: ${errorText(error)}`;
  return apiError(
    error instanceof InvokeError && error.code === GRPC.PERMISSION_DENIED ? 'directInvokeDenied' : 'directInvoke',
    { message },
  );
}

/** Handles one invocation request; `path` is the raw (escaped) request path. */
export async function handleInvoke(
  runtime: Runtime,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  span?: TraceSpan,
) {
  const found = findTarget(req, path);
  if (found === undefined) return sendError(res, apiError('directInvokeNoAppId', { message: NO_APP_ID }));
  const invoker = runtime.invoker;
  if (invoker === undefined) return sendError(res, apiError('directInvoke', { message: 'invoke API is not ready' }));
  let method: string;
  try {
    method = normalizeMethod(found.method.replace(/^\/+/, ''));
  } catch (error) {
    return sendError(res, invokeFailure(found.target, error));
  }
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const verb = (req.method ?? 'POST').toUpperCase();
  const call: InvokeCall = {
    method,
    verb: verb !== 'NONE' && (VERBS as readonly string[]).includes(verb) ? verb : 'POST',
    query: q < 0 ? '' : url.slice(q + 1),
    metadata: requestMetadata(req, found.viaHeader),
    contentType: req.headers['content-type'] ?? '',
    body: await readBody(req),
    typeUrl: '',
    trace: span === undefined ? undefined : invocationSpan(span, found.target, method),
  };
  let result: InvokeResult;
  try {
    result = await invoker.invoke(found.target, call);
  } catch (error) {
    return sendError(res, invokeFailure(found.target, error));
  }
  writeResult(res, verb === 'HEAD', result);
}

export function registerInvokeRoutes(router: Router, runtime: Runtime): void {
  // Other verbs reach handleInvoke through the fallback, which knows the path form too.
  router.add(
    VERBS.filter((v) => v !== 'NONE'),
    '/v1.0/invoke/{rest*}',
    async ({ req, res, span }) => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      await handleInvoke(runtime, req, res, q < 0 ? url : url.slice(0, q), span);
    },
  );
}

/** The router's not-found / method-not-allowed answer (daprd installs the invoke handler there, §1.8). */
export function invokeFallback(runtime: Runtime) {
  return (req: IncomingMessage, res: ServerResponse, path: string) => handleInvoke(runtime, req, res, path);
}
