/**
 * The span of each Dapr API call, as daprd's HTTPTraceMiddleware and GRPCTraceUnaryServerInterceptor make it
 * (spec §5.1): parent from the request, the span's context answered back, daprd's names, kinds and attributes.
 * Attributes are built only for recording spans.
 */
import { type IncomingMessage, ServerResponse, STATUS_CODES } from 'node:http';
import {
  formatTraceparent,
  GRPC_TRACE_BIN,
  grpcTraceBin,
  outgoingTracestate,
  parseGrpcTraceBin,
  parseTraceparent,
  TRACEPARENT,
  TRACESTATE,
  type TraceContext,
} from './trace-context.js';
import type { Tracer, TraceSpan } from './tracing.js';

/** A call's gRPC metadata as both engines hand it over (grpc-js `Metadata.get`/`getMap` semantics). */
interface GrpcMetadata {
  get(key: string): (string | Buffer)[];
  getMap(): Record<string, string | Buffer>;
}

/** daprd leaves health checks untraced: any path containing `/healthz`. */
export function isTracedPath(path: string): boolean {
  return !path.includes('/healthz');
}

/** The incoming HTTP parent: `traceparent`, with `tracestate` only when traceparent is valid. */
export function httpParent(req: IncomingMessage): TraceContext | undefined {
  const header = req.headers.traceparent;
  return header === undefined ? undefined : parseTraceparent(header, req.headers.tracestate);
}

/** The incoming gRPC parent: `grpc-trace-bin` if present (even when invalid, as daprd), else `traceparent`. */
export function grpcParent(metadata: GrpcMetadata): TraceContext | undefined {
  const bin = metadata.get(GRPC_TRACE_BIN);
  if (bin.length > 0) return parseGrpcTraceBin(bin[0]);
  const header = metadata.get(TRACEPARENT);
  return header.length === 0 ? undefined : parseTraceparent(header[0], metadata.get(TRACESTATE)[0]);
}

/** `Code(<n>): <text>` for HTTP status ≥ 400 (daprd traceStatusFromHTTPCode), else undefined. */
export function httpStatusError(status: number): string | undefined {
  return status >= 400 ? `Code(${status}): ${STATUS_CODES[status] ?? 'Unknown'}` : undefined;
}

/** Building-block attributes by the matched route (daprd's endpoint groups' AppendSpanAttributes). */
function blockAttributes(
  span: TraceSpan,
  method: string,
  path: string,
  pattern: string,
  params: Record<string, string>,
) {
  const block = pattern.split('/', 2)[1];
  const store = (system: string, name: string | undefined) => {
    span.setAttribute('db.system', system);
    span.setAttribute('db.connection_string', system);
    span.setAttribute('db.statement', `${method} ${path}`);
    span.setAttribute('db.name', name ?? '');
  };
  if (block === 'state') store('state', params.storeName);
  else if (block === 'secrets') store('secrets', params.storeName);
  else if (block === 'bindings') store('bindings', params.name);
  // `messaging.destination.name` comes from a `topic` URL parameter the publish route does not define: empty.
  else if (block === 'publish') span.setAttribute('messaging.system', 'pubsub');
}

/** Every incoming `dapr-*` header/metadata key as an attribute (last value; gRPC skips `-bin` keys). */
function daprHeaderAttributes(span: TraceSpan, entries: Iterable<[string, unknown]>) {
  for (const [key, value] of entries) {
    if (!key.startsWith('dapr-') || key.endsWith('-bin')) continue;
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (typeof last === 'string') span.setAttribute(key, last);
  }
}

const RESPONSE_SPAN = Symbol('daprkit.responseSpan');
type TracedResponse = ServerResponse & { [RESPONSE_SPAN]?: TraceSpan };
const plainWriteHead = ServerResponse.prototype.writeHead;

/**
 * `writeHead` with the span's `traceparent`/`tracestate` added unless the handler set its own (daprd). Merged into
 * the handler's header object rather than `setHeader` first: Node's writeHead is much slower once `setHeader` has
 * been used on a response, and this runs on every traced call.
 */
function writeHeadWithTrace(this: TracedResponse, ...args: unknown[]): ServerResponse {
  const span = this[RESPONSE_SPAN];
  if (span !== undefined && !this.hasHeader(TRACEPARENT)) {
    const at = typeof args[1] === 'object' ? 1 : 2;
    const headers = args[at];
    const tracestate = outgoingTracestate(span.context);
    if (headers !== undefined && headers !== null && !Array.isArray(headers)) {
      const record = headers as Record<string, unknown>;
      // A copy: the handler's object may be shared between responses.
      if (record[TRACEPARENT] === undefined)
        args[at] = {
          ...record,
          [TRACEPARENT]: formatTraceparent(span.context),
          ...(tracestate === undefined || record[TRACESTATE] !== undefined ? {} : { [TRACESTATE]: tracestate }),
        };
    } else {
      this.setHeader(TRACEPARENT, formatTraceparent(span.context));
      if (tracestate !== undefined) this.setHeader(TRACESTATE, tracestate);
    }
  }
  return plainWriteHead.apply(this, args as never);
}

/**
 * Starts the span of an HTTP API call (kind Client, named after the path) and puts its `traceparent`/`tracestate`
 * on the response unless the handler sets its own. A recording span ends with the response.
 */
export function startHttpSpan(
  tracer: Tracer,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  pattern: string,
  params: Record<string, string>,
): TraceSpan {
  const span = tracer.startSpan(path, 'client', httpParent(req));
  (res as TracedResponse)[RESPONSE_SPAN] = span;
  res.writeHead = writeHeadWithTrace as ServerResponse['writeHead'];
  if (span.recording) {
    res.once('close', () => {
      const method = req.method ?? 'GET';
      daprHeaderAttributes(span, Object.entries(req.headers));
      blockAttributes(span, method, path, pattern, params);
      span.setAttribute('dapr.protocol', 'http');
      span.setAttribute('dapr.api', `${method} ${path}`);
      span.setAttribute('dapr.status_code', String(res.statusCode));
      span.setAttribute('http.request.method', method);
      span.setAttribute('url.full', req.url ?? '');
      span.setAttribute('server.address', req.socket.remoteAddress ?? '');
      span.setAttribute('server.port', req.socket.remotePort === undefined ? '' : String(req.socket.remotePort));
      span.end(httpStatusError(res.statusCode));
    });
  }
  return span;
}

const INTERNAL_PREFIX = '/dapr.proto.internals.';
const INVOKE_SERVICE = '/dapr.proto.runtime.v1.Dapr/InvokeService';

/** Starts the span of a gRPC API call: named after the full method; Server for internals, else Client. */
export function startGrpcSpan(tracer: Tracer, fullMethod: string, metadata: GrpcMetadata): TraceSpan {
  return tracer.startSpan(
    fullMethod,
    fullMethod.startsWith(INTERNAL_PREFIX) ? 'server' : 'client',
    grpcParent(metadata),
  );
}

/** The response header daprd sets on every unary call but InvokeService: the span as `grpc-trace-bin`. */
export function grpcResponseHeader(
  span: TraceSpan,
  fullMethod: string,
  header: { set(key: string, value: Buffer): void },
): boolean {
  if (fullMethod === INVOKE_SERVICE) return false;
  header.set(GRPC_TRACE_BIN, grpcTraceBin(span.context));
  return true;
}

/** Ends a gRPC API span with daprd's attributes; `error` is the status message of a failed call. */
export function endGrpcSpan(span: TraceSpan, fullMethod: string, metadata: GrpcMetadata, error?: string): void {
  if (span.recording) {
    daprHeaderAttributes(span, Object.entries(metadata.getMap()));
    span.setAttribute('dapr.protocol', 'grpc');
    span.setAttribute('dapr.api', fullMethod);
  }
  span.end(error);
}

/** Bulk publish: a factory of Producer children of the call's span, one per entry; undefined when off. */
export function producerSpans(
  tracer: Tracer | undefined,
  parent: TraceSpan | undefined,
  name: string,
): (() => TraceSpan) | undefined {
  if (tracer === undefined || parent === undefined) return undefined;
  return () => tracer.startSpan(name, 'producer', parent.context);
}
