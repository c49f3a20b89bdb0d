/**
 * Without an API token, a web page the user visits could otherwise write to the sidecar: a `text/plain` POST needs
 * no CORS preflight, and DNS rebinding makes `attacker.example` resolve to 127.0.0.1 (issue 21 item 7). So, unless
 * `allowBrowserRequests` is set, we refuse (403 ERR_BROWSER_REQUEST_REJECTED):
 * - writes (any method but GET/HEAD/OPTIONS) carrying an `Origin` that `--allowed-origins` does not allow —
 *   browsers send `Origin` on every such request, non-browser clients (SDKs, curl) do not;
 * - on a loopback listener, any request whose `Host` is not a loopback name: a rebound page sends its own host.
 * daprd has neither check (deviation, README).
 */
import type { IncomingMessage } from 'node:http';
import type { Cors } from './cors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** localhost, *.localhost, 127.0.0.0/8 and [::1], with or without a port. */
export function isLoopbackHost(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d*$/, '');
  const lower = name.toLowerCase();
  return lower === 'localhost' || lower.endsWith('.localhost') || lower === '::1' || /^127\.\d+\.\d+\.\d+$/.test(lower);
}

/** The reason to refuse `req`, or undefined to serve it. */
export function browserRejection(
  req: IncomingMessage,
  cors: Cors | undefined,
  loopbackListener: boolean,
): string | undefined {
  const origin = req.headers.origin;
  if (origin !== undefined && !SAFE_METHODS.has(req.method ?? 'GET') && !cors?.allows(origin))
    return `requests from web pages (Origin ${origin}) may not write without DAPR_API_TOKEN; allow the origin with --allowed-origins, set DAPR_API_TOKEN, or pass --allow-browser-requests`;
  const host = req.headers.host;
  if (loopbackListener && host !== undefined && !isLoopbackHost(host))
    return `Host '${host}' is not a loopback name on a loopback listener (possible DNS rebinding); set DAPR_API_TOKEN or pass --allow-browser-requests`;
  return undefined;
}
