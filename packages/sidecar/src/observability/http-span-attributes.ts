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

/** Calls `set` with each attribute (empty values left out, as daprd). */
export function httpSpanAttributes(fields: HttpSpanFields, set: (key: string, value: string) => void): void {
  const [method, path, url, block, name, status, remoteAddress, remotePort] = fields;
  const put = (key: string, value: string) => {
    if (value !== '') set(key, value);
  };
  if (block === 'state' || block === 'secrets' || block === 'bindings') {
    put('db.system', block);
    put('db.connection_string', block);
    put('db.statement', `${method} ${path}`);
    put('db.name', name);
  } else if (block === 'publish') {
    // `messaging.destination.name` comes from a `topic` URL parameter the publish route does not define: empty.
    put('messaging.system', 'pubsub');
  }
  put('dapr.protocol', 'http');
  put('dapr.api', `${method} ${path}`);
  put('dapr.status_code', String(status));
  put('http.request.method', method);
  put('url.full', url === '' ? path : url);
  put('server.address', remoteAddress);
  put('server.port', remotePort === 0 ? '' : String(remotePort));
}
