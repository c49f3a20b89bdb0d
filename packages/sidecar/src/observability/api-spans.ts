/**
 * The span of each Dapr API call, as daprd's HTTPTraceMiddleware and GRPCTraceUnaryServerInterceptor make it
 * (spec §5.1): parent from the request, the span's context answered back, daprd's names, kinds and attributes.
 * Attributes are built only for recording spans.
 */
import { type IncomingMessage, ServerResponse, STATUS_CODES } from 'node:http';
import { routeBlock, routeName } from './http-span-attributes.js';
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

/** Every incoming `dapr-*` header/metadata key as an attribute (last value; gRPC skips `-bin` keys). */
function daprHeaderAttributes(span: TraceSpan, headers: Record<string, unknown>) {
  for (const key in headers) {
    if (!key.startsWith('dapr-') || key.endsWith('-bin')) continue;
    const value = headers[key];
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (typeof last === 'string') span.setAttribute(key, last);
  }
}

/**
 * The HTTP API server's response class when tracing is on (`createServer({ ServerResponse })`): the call's span is a
 * field and `writeHead`/`end` are methods of the class, so a traced call adds no closure, listener or per-object
 * method to its response.
 */
export class TracedServerResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  /** The span answered in `traceparent`; a recording one also ends with the response. */
  traceSpan: TraceSpan | undefined = undefined;
  /** What a recording span's attributes are built from when it ends (the matched route). */
  traceRoute: TracedRoute | undefined = undefined;
}

interface TracedRoute {
  path: string;
  pattern: string;
  params: Record<string, string>;
}

const plainWriteHead = ServerResponse.prototype.writeHead;
const plainEnd = ServerResponse.prototype.end;
const plainDestroy = ServerResponse.prototype.destroy;

/**
 * `writeHead` with the span's `traceparent`/`tracestate` added unless the handler set its own (daprd). Merged with
 * the handler's headers rather than `setHeader` first: Node's writeHead is much slower once `setHeader` has been
 * used on a response, and this runs on every traced call.
 */
function writeHeadWithTrace(this: TracedServerResponse, ...args: unknown[]): ServerResponse {
  const span = this.traceSpan;
  if (span !== undefined && !this.headersSent && !this.hasHeader(TRACEPARENT)) {
    const at = typeof args[1] === 'object' ? 1 : 2;
    const headers = args[at];
    const tracestate = outgoingTracestate(span.context);
    if (headers !== undefined && headers !== null && !Array.isArray(headers)) {
      const record = headers as Record<string, unknown>;
      if (record[TRACEPARENT] === undefined) {
        // As Node's flat [name, value, …] list, leaving the handler's object (maybe shared) alone: a copy of it
        // with a key more becomes a dictionary-mode object, slow to build and for Node to walk (~4 µs a call).
        const raw: unknown[] = [];
        for (const name in record) if (Object.hasOwn(record, name)) raw.push(name, record[name]);
        raw.push(TRACEPARENT, formatTraceparent(span.context));
        if (tracestate !== undefined && record[TRACESTATE] === undefined) raw.push(TRACESTATE, tracestate);
        args[at] = raw;
      }
    } else {
      this.setHeader(TRACEPARENT, formatTraceparent(span.context));
      if (tracestate !== undefined) this.setHeader(TRACESTATE, tracestate);
    }
  }
  return plainWriteHead.apply(this, args as never);
}

/** Ends a recording span once, with daprd's attributes (HTTPTraceMiddleware) and the response status. */
function endHttpSpan(res: TracedServerResponse): void {
  const span = res.traceSpan;
  const route = res.traceRoute;
  if (span === undefined || route === undefined) return;
  res.traceRoute = undefined;
  const { req } = res;
  const { path } = route;
  const url = req.url ?? '';
  const block = routeBlock(route.pattern);
  daprHeaderAttributes(span, req.headers);
  span.endHttp(
    [
      req.method ?? 'GET',
      path,
      url === path ? '' : url,
      block,
      routeName(block, route.params),
      res.statusCode,
      req.socket.remoteAddress ?? '',
      req.socket.remotePort ?? 0,
    ],
    httpStatusError(res.statusCode),
  );
}

TracedServerResponse.prototype.writeHead = writeHeadWithTrace as unknown as TracedServerResponse['writeHead'];
TracedServerResponse.prototype.end = function end(this: TracedServerResponse, ...args: unknown[]) {
  const result = plainEnd.apply(this, args as never);
  if (this.traceRoute !== undefined) endHttpSpan(this);
  return result;
} as unknown as TracedServerResponse['end'];
// A response destroyed before `end` (a failure after the headers went out) still ends its span.
TracedServerResponse.prototype.destroy = function destroy(this: TracedServerResponse, error?: Error) {
  if (this.traceRoute !== undefined) endHttpSpan(this);
  return plainDestroy.call(this, error);
} as unknown as TracedServerResponse['destroy'];

/**
 * Starts the span of an HTTP API call (kind Client, named after the path) and puts its `traceparent`/`tracestate`
 * on the response unless the handler sets its own. A recording span ends with the response. `res` must come from a
 * server created with `ServerResponse: TracedServerResponse`.
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
  if (!(res instanceof TracedServerResponse))
    throw new TypeError('startHttpSpan: the server must be created with ServerResponse: TracedServerResponse');
  res.traceSpan = span;
  if (span.recording) res.traceRoute = { path, pattern, params };
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
    daprHeaderAttributes(span, metadata.getMap());
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
