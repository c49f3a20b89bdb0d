/** Spans of what the sidecar delivers to the app (spec §5.1 "Deliveries"), as daprd's StartInternalCallbackSpan. */
import type { Metadata } from '@daprkit/component-sdk';
import { GRPC_TRACE_BIN, parseGrpcTraceBin, parseTraceparent, TRACEPARENT, TRACESTATE } from './trace-context.js';
import type { Tracer, TraceSpan } from './tracing.js';

/** `pubsub/<topic>` (kind Client), child of the event's `traceparent`, else its `traceid`. */
export function deliverySpan(tracer: Tracer, topic: string, event: Record<string, unknown>): TraceSpan {
  const parent =
    parseTraceparent(event[TRACEPARENT], event[TRACESTATE]) ?? parseTraceparent(event.traceid, event[TRACESTATE]);
  const span = tracer.startSpan(`pubsub/${topic}`, 'client', parent);
  if (span.recording) {
    span.setAttribute('messaging.system', 'pubsub');
    span.setAttribute('messaging.destination.name', topic);
  }
  return span;
}

/** `bindings/<name>` (kind Client), child of the binding event's `grpc-trace-bin`, else `traceparent`/`tracestate`. */
export function bindingSpan(tracer: Tracer, name: string, route: string, metadata: Metadata): TraceSpan {
  const bin = metadata[GRPC_TRACE_BIN];
  const parent =
    bin !== undefined ? parseGrpcTraceBin(bin) : parseTraceparent(metadata[TRACEPARENT], metadata[TRACESTATE]);
  const span = tracer.startSpan(`bindings/${name}`, 'client', parent);
  if (span.recording) {
    span.setAttribute('db.name', name);
    span.setAttribute('rpc.service', 'Dapr');
    span.setAttribute('db.system', 'bindings');
    span.setAttribute('db.connection_string', route);
  }
  return span;
}
