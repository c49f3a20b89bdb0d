/**
 * A tiny path router for daprd's route table (spec §0.4): matching on the escaped path, `{param}` segments decoded
 * with query-unescape semantics, a trailing `{rest*}` catch-all (pub/sub topics may contain `/`), plain-text 404/405.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TraceSpan } from '../observability/tracing.js';

export interface RouteRequest {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** This call's span (observability/api-spans.ts); undefined when tracing is off or for health checks. */
  span?: TraceSpan | undefined;
}

export type RouteHandler = (request: RouteRequest) => Promise<void>;

interface Route {
  methods: readonly string[];
  segments: string[];
  handler: RouteHandler;
}

export type RouteMatch =
  | { kind: 'found'; handler: RouteHandler; params: Record<string, string>; pattern: string }
  | { kind: 'method-not-allowed' }
  | { kind: 'not-found' }
  | { kind: 'bad-path' };

/** Query-unescape: `+` is a space, `%XX` decoded; undefined on a malformed escape. */
function unescapeSegment(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}

export class Router {
  private readonly routes: Route[] = [];

  /** Routes are tried in registration order, so register specific ones (`…/bulk`) before `{key}` ones. */
  add(methods: readonly string[], pattern: string, handler: RouteHandler): this {
    this.routes.push({ methods, segments: pattern.split('/').filter((s) => s !== ''), handler });
    return this;
  }

  private matchSegments(route: Route, parts: string[]): Record<string, string> | undefined | null {
    const params: Record<string, string> = {};
    for (let i = 0; i < route.segments.length; i++) {
      const segment = route.segments[i]!;
      if (segment.startsWith('{') && segment.endsWith('*}')) {
        const rest = parts.slice(i).join('/');
        if (rest === '') return undefined;
        const value = unescapeSegment(rest);
        if (value === undefined) return null;
        params[segment.slice(1, -2)] = value;
        return params;
      }
      const part = parts[i];
      if (part === undefined) return undefined;
      if (segment.startsWith('{')) {
        if (part === '') return undefined;
        const value = unescapeSegment(part);
        if (value === undefined) return null;
        params[segment.slice(1, -1)] = value;
      } else if (segment !== part) {
        return undefined;
      }
    }
    return parts.length === route.segments.length ? params : undefined;
  }

  /** The route table (methods and pattern per route), for tools that must cover every route, e.g. the fuzz test. */
  table(): { methods: readonly string[]; pattern: string }[] {
    return this.routes.map((r) => ({ methods: r.methods, pattern: `/${r.segments.join('/')}` }));
  }

  match(method: string, rawPath: string): RouteMatch {
    const collapsed = rawPath.replace(/\/{2,}/g, '/');
    const candidates = [collapsed];
    if (collapsed.length > 1 && collapsed.endsWith('/')) candidates.push(collapsed.slice(0, -1));
    let methodMismatch = false;
    for (const path of candidates) {
      const parts = path.split('/').filter((s, i) => i > 0 || s !== '');
      if (parts[0] === '') parts.shift();
      for (const route of this.routes) {
        const params = this.matchSegments(route, parts);
        if (params === null) return { kind: 'bad-path' };
        if (params === undefined) continue;
        if (!route.methods.includes(method)) {
          methodMismatch = true;
          continue;
        }
        return { kind: 'found', handler: route.handler, params, pattern: route.segments.join('/') };
      }
    }
    return methodMismatch ? { kind: 'method-not-allowed' } : { kind: 'not-found' };
  }
}
