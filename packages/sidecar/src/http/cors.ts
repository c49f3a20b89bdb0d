/**
 * daprd 1.18's CORS (pkg/cors, go-chi/cors; spec wave2 §7): off unless `--allowed-origins` is set; `*` allows every
 * origin; otherwise a CSV of origins, lowercased, each with at most one `*` wildcard. Preflights are answered here
 * (200, empty body) and never reach a handler or the API-token check.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const METHODS = new Set(['HEAD', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

export interface Cors {
  /** Whether `origin` (as sent in `Origin`) is allowed. */
  allows(origin: string): boolean;
  /** Adds CORS headers; true when the request was a preflight and has been answered. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

function originMatcher(entry: string): (origin: string) => boolean {
  const star = entry.indexOf('*');
  if (star < 0) return (origin) => origin === entry;
  const prefix = entry.slice(0, star);
  const suffix = entry.slice(star + 1);
  return (origin) =>
    origin.length >= prefix.length + suffix.length && origin.startsWith(prefix) && origin.endsWith(suffix);
}

/** undefined when CORS is off (`''`, the default). */
export function createCors(allowedOrigins: string | undefined): Cors | undefined {
  const entries = (allowedOrigins ?? '')
    .split(',')
    .map((o) => o.trim().toLowerCase())
    .filter((o) => o !== '');
  if (entries.length === 0) return undefined;
  const allowAll = entries.includes('*');
  const matchers = entries.map(originMatcher);
  const allows = (origin: string) => allowAll || matchers.some((m) => m(origin.toLowerCase()));
  return {
    allows,
    handle(req, res) {
      const origin = req.headers.origin;
      const requestedMethod = req.headers['access-control-request-method'];
      if (req.method === 'OPTIONS' && typeof requestedMethod === 'string' && requestedMethod !== '') {
        res.setHeader('Vary', ['Origin', 'Access-Control-Request-Method', 'Access-Control-Request-Headers']);
        const method = requestedMethod.toUpperCase();
        if (origin !== undefined && allows(origin) && METHODS.has(method)) {
          res.setHeader('Access-Control-Allow-Origin', allowAll ? '*' : origin);
          res.setHeader('Access-Control-Allow-Methods', method);
          const headers = req.headers['access-control-request-headers'];
          if (typeof headers === 'string' && headers !== '') res.setHeader('Access-Control-Allow-Headers', headers);
        }
        res.writeHead(200, { 'Content-Length': 0 });
        res.end();
        return true;
      }
      res.setHeader('Vary', 'Origin');
      if (origin !== undefined && allows(origin)) res.setHeader('Access-Control-Allow-Origin', allowAll ? '*' : origin);
      return false;
    },
  };
}
