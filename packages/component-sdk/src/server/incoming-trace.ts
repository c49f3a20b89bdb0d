/**
 * The trace context of the call a component method is serving: daprkit-sidecar sends `traceparent`/`tracestate`
 * as gRPC metadata on its calls to pluggable components (daprd sends none, so under daprd this is undefined).
 *
 * Read it synchronously at the start of the method (before its first `await`): the server sets it only while
 * it hands the request to the component, so that no other call's context can ever be read by mistake.
 */
import type { GrpcMetadata } from './instances.js';

let current: GrpcMetadata | undefined;

export interface IncomingTraceContext {
  traceparent: string;
  /** Empty when the caller sent none. */
  tracestate: string;
}

export function incomingTraceContext(): IncomingTraceContext | undefined {
  const traceparent = current?.get('traceparent')[0];
  if (traceparent === undefined) return undefined;
  const tracestate = current?.get('tracestate')[0];
  return { traceparent: String(traceparent), tracestate: tracestate === undefined ? '' : String(tracestate) };
}

/** The server's side: `run` hands one request to the component with `metadata` readable. */
export function withIncomingMetadata<T>(metadata: GrpcMetadata, run: () => T): T {
  current = metadata;
  try {
    return run();
  } finally {
    current = undefined;
  }
}
