/** Which headers travel between the caller, the sidecars and the app (spec sidecar-wave2 §1.3). */
import type { HeaderMap } from './invocation.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'te',
  'trailer',
  'proxy-authorization',
  'proxy-authenticate',
]);

/** Metadata keys that never reach the app as headers (besides hop-by-hop ones and `-bin` keys). */
const NOT_DELIVERED = new Set(['destination-app-id', 'content-type', 'content-length', 'host']);
/** Trace headers are replaced by the callee's span (tracing is another module); never copied through as is. */
const TRACE = new Set(['traceparent', 'tracestate', 'grpc-trace-bin']);

/** Header names listed in `Connection` (also hop-by-hop). */
function connectionListed(headers: HeaderMap): Set<string> {
  const listed = new Set<string>();
  for (const key in headers) {
    if (key.toLowerCase() !== 'connection') continue;
    for (const value of headers[key]!) for (const name of value.split(',')) listed.add(name.trim().toLowerCase());
  }
  return listed;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Request headers for an HTTP app (or an HTTP target) from invocation metadata: hop-by-hop, internal and trace
 * keys dropped, gRPC pseudo-headers and `grpc-*` renamed `dapr-<name>`, values a header cannot carry left out.
 */
export function headersForApp(metadata: HeaderMap): Record<string, string[]> {
  const listed = connectionListed(metadata);
  const out: Record<string, string[]> = {};
  for (const key in metadata) {
    let name = key.toLowerCase();
    if (NOT_DELIVERED.has(name) || HOP_BY_HOP.has(name) || TRACE.has(name) || listed.has(name)) continue;
    if (name.endsWith('-bin')) continue;
    if (name.startsWith(':')) name = `dapr-${name.slice(1)}`;
    else if (name.startsWith('grpc-')) name = `dapr-${name}`;
    if (!TOKEN.test(name)) continue;
    const values = metadata[key]!.filter((v) => VALUE.test(v));
    if (values.length === 0) continue;
    const existing = out[name];
    if (existing === undefined) out[name] = values;
    else existing.push(...values);
  }
  return out;
}

/** Response headers worth passing back (hop-by-hop and length/type stripped; the caller sets those). */
export function responseHeaders(headers: HeaderMap): HeaderMap {
  const listed = connectionListed(headers);
  const out: HeaderMap = {};
  for (const key in headers) {
    const name = key.toLowerCase();
    if (HOP_BY_HOP.has(name) || listed.has(name) || name === 'content-length' || name === 'content-type') continue;
    if (name === 'date') continue;
    out[key] = headers[key]!;
  }
  return out;
}

/** Node's `IncomingHttpHeaders`/`rawHeaders` as a HeaderMap under the names as sent (multiple values kept). */
export function fromRawHeaders(raw: string[]): HeaderMap {
  const out: HeaderMap = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const values = out[name];
    if (values === undefined) out[name] = [raw[i + 1]!];
    else values.push(raw[i + 1]!);
  }
  return out;
}

/** `Go's http.CanonicalHeaderKey`: `x-my-header` → `X-My-Header` (how daprd names HTTP callers' metadata). */
export function canonicalHeaderKey(name: string): string {
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}
