/**
 * The attributes of an HTTP API call's span, as daprd's HTTPTraceMiddleware and its endpoint groups'
 * AppendSpanAttributes set them, from the few values they are made of. A recording span carries these values
 * (`HttpSpanFields`) and the span export thread spells the attributes out: the path alone appears in four of
 * them, so the event loop encodes a fraction of the text.
 */

/** What an HTTP API span's attributes are derived from. */
export type HttpSpanFields = [
  method: string,
  path: string,
  /** The request URL with its query; '' when it is just the path (most calls: less to encode). */
  url: string,
  /** The route's building block: `state`, `secrets`, `bindings`, `publish`, … (the second segment of its pattern). */
  block: string,
  /** The store or binding the route names (`storeName`/`name` parameter), '' when none. */
  name: string,
  status: number,
  remoteAddress: string,
  /** 0 when unknown. */
  remotePort: number,
];

/** The building block of a route pattern `v1.0/<block>/…`, '' when it has none. */
export function routeBlock(pattern: string): string {
  const from = pattern.indexOf('/') + 1;
  if (from === 0) return '';
  const to = pattern.indexOf('/', from);
  return pattern.slice(from, to < 0 ? undefined : to);
}

/** The route parameter naming the store or binding of a block's routes. */
export function routeName(block: string, params: Record<string, string>): string {
  if (block === 'state' || block === 'secrets') return params.storeName ?? '';
  if (block === 'bindings') return params.name ?? '';
  return '';
}

/** Adds each attribute to `into` (empty values left out, as daprd); no per-span closure on the export thread. */
export function httpSpanAttributes(fields: HttpSpanFields, into: Record<string, string>): void {
  const [method, path, url, block, name, status, remoteAddress, remotePort] = fields;
  const api = `${method} ${path}`;
  if (block === 'state' || block === 'secrets' || block === 'bindings') {
    into['db.system'] = block;
    into['db.connection_string'] = block;
    into['db.statement'] = api;
    if (name !== '') into['db.name'] = name;
  } else if (block === 'publish') {
    // `messaging.destination.name` comes from a `topic` URL parameter the publish route does not define: empty.
    into['messaging.system'] = 'pubsub';
  }
  into['dapr.protocol'] = 'http';
  into['dapr.api'] = api;
  into['dapr.status_code'] = String(status);
  into['http.request.method'] = method;
  into['url.full'] = url === '' ? path : url;
  if (remoteAddress !== '') into['server.address'] = remoteAddress;
  if (remotePort !== 0) into['server.port'] = String(remotePort);
}
