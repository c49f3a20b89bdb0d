/** gRPC output bindings (spec §3.1): decoding into api/bindings.ts. */
import type { Metadata } from '@daprkit/component-sdk';
import { invokeBinding } from '../api/bindings.js';
import { withTraceMetadata } from '../observability/propagation.js';
import type { TraceSpan } from '../observability/tracing.js';
import type { Runtime } from '../runtime.js';
import type { GrpcMetadata, HandlerGroup, InvokeBindingRequest, InvokeBindingResponse } from './wire.js';

/** gRPC's own headers, which neither grpc-js nor grpc-go hands over as metadata (the engine's view has them). */
const TRANSPORT_HEADERS = new Set([
  'content-type',
  'te',
  'grpc-timeout',
  'grpc-encoding',
  'grpc-accept-encoding',
  'accept-encoding',
]);

export function bindingsHandlers(runtime: Runtime) {
  return {
    InvokeBinding: async (
      r: InvokeBindingRequest,
      metadata: GrpcMetadata,
      span?: TraceSpan,
    ): Promise<InvokeBindingResponse> => {
      // Incoming gRPC metadata reaches the binding too (daprd), below the request's own keys.
      const incoming: Metadata = {};
      for (const [k, v] of Object.entries(metadata.getMap()))
        if (typeof v === 'string' && k !== 'dapr-api-token' && !TRANSPORT_HEADERS.has(k)) incoming[k] = v;
      // The span's traceparent/tracestate fill in absent keys; the caller's traceparent/tracestate metadata win (daprd).
      const own = withTraceMetadata(r.metadata, span?.context, false);
      const trace: Metadata = {};
      if (incoming.traceparent !== undefined) trace.traceparent = incoming.traceparent;
      if (incoming.tracestate !== undefined) trace.tracestate = incoming.tracestate;
      const response = await invokeBinding(runtime.components, {
        name: r.name,
        operation: r.operation,
        data: r.data,
        metadata: { ...incoming, ...own, ...trace },
      });
      return { data: Buffer.from(response.data ?? []), metadata: response.metadata ?? {} };
    },
  } satisfies HandlerGroup;
}
