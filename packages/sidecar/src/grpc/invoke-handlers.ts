/**
 * gRPC `InvokeService` (spec sidecar-wave2 §1.6): the same Invoker as the HTTP API. An HTTP app's non-2xx status
 * becomes a gRPC error with CodeFromHTTPStatus and the status text; a gRPC app's status is returned as is.
 * The handler shape `(request, metadata) → response` cannot set response headers, so `dapr-http-status` and the
 * app's headers are not sent (README deviations).
 */
import { STATUS_CODES } from 'node:http';
import { ErrorCode } from '@daprkit/component-sdk';
import { normalizeMethod } from '../invoke/method.js';
import { grpcCodeFromHttp } from '../invoke/status-codes.js';
import { invocationSpan } from '../observability/invoke-spans.js';
import type { TraceSpan } from '../observability/tracing.js';
import type { Runtime } from '../runtime.js';
import { ApiError, errorText } from '../shared/errors.js';
import { GRPC, type HeaderMap, InvokeError, VERBS } from '../shared/invocation.js';
import type { HandlerGroup, InvokeResponse, InvokeServiceRequest } from './wire.js';

function directInvokeError(grpcCode: number, message: string): ApiError {
  return new ApiError({ httpStatus: 500, errorCode: 'ERR_DIRECT_INVOKE', grpcCode: grpcCode as ErrorCode, message });
}

/** Incoming gRPC metadata as invocation metadata (lowercase keys; binary and token entries left out). */
function metadataOf(metadata: { getMap(): Record<string, unknown> }): HeaderMap {
  const out: HeaderMap = {};
  for (const [key, value] of Object.entries(metadata.getMap())) {
    if (typeof value !== 'string' || key === 'dapr-api-token' || key.startsWith(':')) continue;
    out[key] = [value];
  }
  return out;
}

export function invokeHandlers(runtime: Runtime) {
  return {
    InvokeService: async (
      r: InvokeServiceRequest,
      metadata: { getMap(): Record<string, unknown> },
      span?: TraceSpan,
    ): Promise<InvokeResponse> => {
      const invoker = runtime.invoker;
      if (invoker === undefined) throw directInvokeError(ErrorCode.Internal, 'invoke API is not ready');
      const message = r.message;
      if (message === null) throw directInvokeError(ErrorCode.InvalidArgument, 'missing message field');
      let result: Awaited<ReturnType<typeof invoker.invoke>>;
      try {
        const ext = message.http_extension;
        const method = normalizeMethod(message.method.replace(/^\/+/, ''));
        result = await invoker.invoke(r.id, {
          method,
          verb: ext === null ? 'NONE' : (VERBS[ext.verb] ?? 'POST'),
          query: ext?.querystring ?? '',
          metadata: metadataOf(metadata),
          contentType: message.content_type,
          body: message.data?.value ?? Buffer.alloc(0),
          typeUrl: message.data?.type_url ?? '',
          trace: span === undefined ? undefined : invocationSpan(span, r.id, method),
        });
      } catch (error) {
        const code =
          error instanceof InvokeError && error.code === GRPC.PERMISSION_DENIED ? error.code : ErrorCode.Internal;
        throw directInvokeError(code, `failed to invoke, id: ${r.id}, err: ${errorText(error)}`);
      }
      if (result.status >= 100) {
        if (result.status < 200 || result.status >= 300)
          throw directInvokeError(
            grpcCodeFromHttp(result.status),
            STATUS_CODES[result.status] ?? String(result.status),
          );
      } else if (result.status !== GRPC.OK) {
        throw directInvokeError(result.status, result.message);
      }
      return { data: { type_url: result.typeUrl, value: result.body }, content_type: result.contentType };
    },
  } satisfies HandlerGroup;
}
