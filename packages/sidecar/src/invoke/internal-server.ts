/**
 * The sidecar-to-sidecar server (`dapr.proto.internals.v1.ServiceInvocation`, spec sidecar-wave2 §2.2–§2.3) on
 * component-sdk's gRPC engine: CallLocal and CallLocalStream deliver to the local app, CallActor* are
 * UNIMPLEMENTED (no actors). Methods of other services go to `fallback` (gRPC proxy mode) when one is given.
 */
import { type DuplexCall, GrpcServer, type RawCall } from '@daprkit/component-sdk/transport';
import { endCallLocalSpan, startCallLocalSpan } from '../observability/invoke-spans.js';
import type { Tracer } from '../observability/tracing.js';
import { GRPC, type InvokeCall, InvokeError, type InvokeResult, MAX_INVOKE_BODY_BYTES } from '../shared/invocation.js';
import {
  fromWireRequest,
  internalMethods,
  toWireResponse,
  type WireInternalRequest,
  type WireStreamPayload,
} from './internal-proto.js';

/** Response payload chunk size (daprd reads any size; it writes 2 KiB chunks itself). */
const RESPONSE_CHUNK = 64 << 10;

export interface InternalServer {
  readonly port: number;
  readonly server: GrpcServer;
  close(): Promise<void>;
}

type Callback = (error: unknown, response?: unknown) => void;

function statusOf(error: unknown): { code: number; details: string } {
  if (error instanceof InvokeError) return { code: error.code, details: error.message };
  return { code: GRPC.INTERNAL, details: error instanceof Error ? error.message : String(error) };
}

/** Collects one CallLocalStream request: leading chunk with the request, then payloads in `seq` order. */
function serveStream(
  call: DuplexCall,
  invokeLocal: (call: InvokeCall, metadata: GrpcMetadata) => Promise<InvokeResult>,
): void {
  let leading: WireInternalRequest | undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  let seq = 0;
  let failed = false;
  const fail = (code: number, details: string) => {
    failed = true;
    call.emit('error', { code, details });
  };
  call.on('data', (chunk: { request: WireInternalRequest | null; payload: WireStreamPayload | null }) => {
    if (failed) return;
    if (leading === undefined) {
      if (chunk.request === null || chunk.request.message === null)
        return fail(
          GRPC.INVALID_ARGUMENT,
          'parsing InternalInvokeRequest error: request does not contain the required fields in the leading chunk',
        );
      leading = chunk.request;
    } else if (chunk.request !== null) {
      return fail(GRPC.INVALID_ARGUMENT, 'request metadata found in non-leading chunk');
    }
    const payload = chunk.payload;
    if (payload === null) return;
    if (payload.seq !== seq)
      return fail(GRPC.INVALID_ARGUMENT, `invalid sequence number received: ${payload.seq} (expected: ${seq})`);
    seq++;
    size += payload.data.length;
    if (size > MAX_INVOKE_BODY_BYTES)
      return fail(8, `request body exceeds ${MAX_INVOKE_BODY_BYTES} bytes (--max-body-size)`);
    if (payload.data.length > 0) chunks.push(payload.data);
  });
  call.on('end', () => {
    if (failed) return;
    if (leading === undefined)
      return fail(
        GRPC.INVALID_ARGUMENT,
        'parsing InternalInvokeRequest error: request does not contain the required fields in the leading chunk',
      );
    let request: InvokeCall;
    try {
      request = fromWireRequest(leading, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    } catch (error) {
      const { code, details } = statusOf(error);
      return fail(code, details);
    }
    invokeLocal(request, call.metadata).then(
      (result) => {
        const body = result.body;
        const first = body.subarray(0, RESPONSE_CHUNK);
        call.write({
          response: toWireResponse(result, false),
          payload: first.length > 0 ? { data: first, seq: 0 } : null,
        });
        let n = 1;
        for (let at = RESPONSE_CHUNK; at < body.length; at += RESPONSE_CHUNK)
          call.write({ response: null, payload: { data: body.subarray(at, at + RESPONSE_CHUNK), seq: n++ } });
        call.end();
      },
      (error: unknown) => {
        const { code, details } = statusOf(error);
        fail(code, details);
      },
    );
  });
}

const UNARY_METHOD = '/dapr.proto.internals.v1.ServiceInvocation/CallLocal';
const STREAM_METHOD = '/dapr.proto.internals.v1.ServiceInvocation/CallLocalStream';

type GrpcMetadata = Parameters<typeof startCallLocalSpan>[1];

/** The local invoker, under a callee span when tracing is on (the app gets that span's context). */
function traced(
  invokeLocal: (call: InvokeCall) => Promise<InvokeResult>,
  tracing: { tracer: Tracer; appId: string } | undefined,
): (call: InvokeCall, metadata: GrpcMetadata, fullMethod: string) => Promise<InvokeResult> {
  if (tracing === undefined) return (call) => invokeLocal(call);
  return async (call, metadata, fullMethod) => {
    const span = startCallLocalSpan(tracing.tracer, metadata, tracing.appId, call.method);
    call.trace = span.context;
    try {
      const result = await invokeLocal(call);
      endCallLocalSpan(span, fullMethod, call.method);
      return result;
    } catch (error) {
      endCallLocalSpan(span, fullMethod, call.method, statusOf(error).details);
      throw error;
    }
  };
}

export async function startInternalServer(options: {
  host: string;
  port: number;
  invokeLocal: (call: InvokeCall) => Promise<InvokeResult>;
  /** Methods of other services (daprd: gRPC proxying to the local app); without it they answer UNIMPLEMENTED. */
  fallback?: (call: RawCall) => void;
  /** With tracing on: a `CallLocal/<appId>/<method>` Server span per call, child of the caller's trace context. */
  tracing?: { tracer: Tracer; appId: string };
}): Promise<InternalServer> {
  const methods = internalMethods();
  // Size limit = --max-body-size plus room for the envelope, as daprd sizes its internal server.
  const server = new GrpcServer({
    maxMessageBytes: MAX_INVOKE_BODY_BYTES + (64 << 10),
    ...(options.fallback ? { fallback: options.fallback } : {}),
  });
  const invokeLocal = traced(options.invokeLocal, options.tracing);
  server.addService(methods, {
    CallLocal: (call: { request: WireInternalRequest; metadata: GrpcMetadata }, callback: Callback) => {
      let request: InvokeCall;
      try {
        request = fromWireRequest(call.request);
      } catch (error) {
        return callback(statusOf(error));
      }
      invokeLocal(request, call.metadata, UNARY_METHOD).then(
        (result) => callback(null, toWireResponse(result, true)),
        (error: unknown) => callback(statusOf(error)),
      );
    },
    CallLocalStream: (call: DuplexCall) =>
      serveStream(call, (request, metadata) => invokeLocal(request, metadata, STREAM_METHOD)),
    CallActor: (_call: unknown, callback: Callback) =>
      callback({ code: GRPC.UNIMPLEMENTED, details: 'actors are not supported by daprkit-sidecar' }),
    CallActorReminder: (_call: unknown, callback: Callback) =>
      callback({ code: GRPC.UNIMPLEMENTED, details: 'actors are not supported by daprkit-sidecar' }),
  });
  const host = options.host.replace(/^\[(.*)\]$/, '$1');
  const bound = (await server.listen({ host, port: options.port })) as { port: number };
  return {
    port: bound.port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
