/**
 * Trace context on outgoing calls (spec §5.1 "Outgoing to the app or another sidecar"): the helpers every caller
 * uses — app delivery, output bindings, service invocation (invoke/), pluggable components.
 *
 *   HTTP: `{ ...headers, ...traceHeaders(span.context) }`   → `traceparent` (+ `tracestate` up to 512 chars)
 *   gRPC: `setGrpcTraceMetadata(metadata, span.context)`    → `traceparent`, `tracestate`, `grpc-trace-bin`
 *
 * The span is the one the API call started (`RouteRequest.span` in HTTP routes, the third argument of gRPC
 * handlers), or a child of it from `runtime.tracer.startSpan(...)`; both are undefined when tracing is off.
 */
import { withCallMetadata } from '@daprkit/component-sdk/transport';
import type { Metadata as GrpcMetadata } from '@grpc/grpc-js';
import {
  formatTraceparent,
  GRPC_TRACE_BIN,
  grpcTraceBin,
  outgoingTracestate,
  TRACEPARENT,
  TRACESTATE,
  type TraceContext,
} from './trace-context.js';

/** HTTP headers carrying `context`; `{}` without one. */
export function traceHeaders(context: TraceContext | undefined): Record<string, string> {
  if (context === undefined) return {};
  const headers: Record<string, string> = { [TRACEPARENT]: formatTraceparent(context) };
  const tracestate = outgoingTracestate(context);
  if (tracestate !== undefined) headers[TRACESTATE] = tracestate;
  return headers;
}

/** Sets `traceparent`, `tracestate` and the binary `grpc-trace-bin` on outgoing gRPC metadata. */
export function setGrpcTraceMetadata(metadata: GrpcMetadata, context: TraceContext | undefined): void {
  if (context === undefined) return;
  metadata.set(TRACEPARENT, formatTraceparent(context));
  const tracestate = outgoingTracestate(context);
  if (tracestate !== undefined) metadata.set(TRACESTATE, tracestate);
  metadata.set(GRPC_TRACE_BIN, grpcTraceBin(context));
}

/**
 * Request metadata for an output binding, as daprd fills it: `traceparent` (and `tracestate` when non-empty).
 * Over HTTP they overwrite what the caller sent; over gRPC (`overwrite` false) a caller's own value stays.
 * Returns `metadata` itself when there is no context.
 */
export function withTraceMetadata(
  metadata: Record<string, string>,
  context: TraceContext | undefined,
  overwrite = true,
): Record<string, string> {
  if (context === undefined) return metadata;
  const out = { ...metadata };
  if (overwrite || out[TRACEPARENT] === undefined) out[TRACEPARENT] = formatTraceparent(context);
  if (context.tracestate !== '' && (overwrite || out[TRACESTATE] === undefined)) out[TRACESTATE] = context.tracestate;
  return out;
}

/** The same three keys as header pairs for component-sdk's gRPC client (`grpc-trace-bin` base64, unpadded as grpc-go). */
export function grpcTraceHeaderPairs(context: TraceContext): [string, string][] {
  const pairs: [string, string][] = [
    [TRACEPARENT, formatTraceparent(context)],
    [GRPC_TRACE_BIN, grpcTraceBin(context).toString('base64').replace(/=+$/, '')],
  ];
  const tracestate = outgoingTracestate(context);
  if (tracestate !== undefined) pairs.push([TRACESTATE, tracestate]);
  return pairs;
}

/**
 * Runs one component call under `context`: a pluggable component's RPC started by it carries the trace as gRPC
 * metadata (daprd sends none; a plugin may use it). In-process components never build the pairs.
 */
export function withComponentTrace<T>(context: TraceContext | undefined, call: () => T): T {
  return context === undefined ? call() : withCallMetadata(() => grpcTraceHeaderPairs(context), call);
}
