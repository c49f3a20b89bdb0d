/**
 * Spans of service invocation, as daprd names them (spec §5.1): the caller's API span is renamed
 * `CallLocal/<target>/<method>`, and the callee's internal server starts a Server span of the same form, child of
 * the trace context the caller sent as gRPC metadata. The app then gets the callee span's context.
 */
import { grpcParent } from './api-spans.js';
import type { TraceContext } from './trace-context.js';
import type { Tracer, TraceSpan } from './tracing.js';

/** Caller side: names the API call's span after the target and returns the context to send on. */
export function invocationSpan(span: TraceSpan, target: string, method: string): TraceContext {
  if (span.recording) {
    span.setName(`CallLocal/${target}/${method}`);
    span.setAttribute('rpc.service', 'ServiceInvocation');
    span.setAttribute('net.peer.name', target);
  }
  return span.context;
}

/** Callee side: the Server span of one CallLocal/CallLocalStream for this app. */
export function startCallLocalSpan(
  tracer: Tracer,
  metadata: Parameters<typeof grpcParent>[0],
  appId: string,
  method: string,
): TraceSpan {
  return tracer.startSpan(`CallLocal/${appId}/${method}`, 'server', grpcParent(metadata));
}

/** Ends a callee span with daprd's attributes; `error` is the status message of a failed call. */
export function endCallLocalSpan(span: TraceSpan, fullMethod: string, method: string, error?: string): void {
  if (span.recording) {
    span.setAttribute('rpc.service', 'ServiceInvocation');
    span.setAttribute('dapr.invoke_method', method);
    span.setAttribute('dapr.protocol', 'grpc');
    span.setAttribute('dapr.api', fullMethod);
  }
  span.end(error);
}
