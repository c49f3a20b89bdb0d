/**
 * The gRPC runtime API (`dapr.proto.runtime.v1.Dapr`, spec §3): API-token check and dispatch to one handler group
 * per building block (<area>-handlers.ts), which decode into the same protocol-neutral calls as the HTTP API.
 * Methods no group serves answer UNIMPLEMENTED.
 */

import {
  Metadata as GrpcMetadata,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js';
import { endGrpcSpan, grpcResponseHeader, startGrpcSpan } from '../observability/api-spans.js';
import type { TraceSpan } from '../observability/tracing.js';
import type { Runtime } from '../runtime.js';
import { tokenMatches } from '../shared/api-token.js';
import { ApiError, apiError, toApiError } from '../shared/errors.js';
import { daprService } from '../shared/runtime-proto.js';
import { bindingsHandlers } from './bindings-handlers.js';
import { metadataHandlers } from './metadata-handlers.js';
import { pubsubHandlers } from './pubsub-handlers.js';
import { secretsHandlers } from './secrets-handlers.js';
import { stateHandlers } from './state-handlers.js';
import type { HandlerGroup, UnaryHandler } from './wire.js';

/** One line per building block. */
const HANDLER_GROUPS: readonly ((runtime: Runtime) => HandlerGroup)[] = [
  stateHandlers,
  pubsubHandlers,
  bindingsHandlers,
  secretsHandlers,
  metadataHandlers,
];

/** Every served method by name; a name served by two groups is a programming error. */
export function grpcHandlers(runtime: Runtime): Map<string, UnaryHandler<never, unknown>> {
  const all = new Map<string, UnaryHandler<never, unknown>>();
  for (const group of HANDLER_GROUPS) {
    for (const [method, handler] of Object.entries(group(runtime))) {
      if (all.has(method)) throw new Error(`gRPC method ${method} is served by two handler groups`);
      all.set(method, handler);
    }
  }
  return all;
}

function authenticate(metadata: GrpcMetadata, apiToken: string | undefined): ApiError | undefined {
  if (!apiToken) return undefined;
  const given = metadata.get('dapr-api-token')[0];
  if (given === undefined)
    return apiError('unauthenticated', { message: 'Unauthorized: missing api token in request metadata' });
  if (!tokenMatches(String(given), apiToken))
    return apiError('unauthenticated', { message: 'Unauthorized: authentication error: api token mismatch' });
  return undefined;
}

export async function startGrpcApi(
  runtime: Runtime,
  options: { host: string; port: number; apiToken?: string },
): Promise<{ port: number; close(): Promise<void> }> {
  const server = new Server({ 'grpc.max_receive_message_length': 4 << 20 });
  const implementation: Record<
    string,
    (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => void
  > = {};
  const { tracer } = runtime;
  for (const [method, handler] of grpcHandlers(runtime)) {
    const fullMethod = `/dapr.proto.runtime.v1.Dapr/${method}`;
    implementation[method] = (call, callback) => {
      let span: TraceSpan | undefined;
      if (tracer !== undefined) {
        span = startGrpcSpan(tracer, fullMethod, call.metadata);
        const header = new GrpcMetadata();
        if (grpcResponseHeader(span, fullMethod, header)) call.sendMetadata(header);
      }
      const denied = authenticate(call.metadata, options.apiToken);
      if (denied) {
        if (span) endGrpcSpan(span, fullMethod, call.metadata, denied.message);
        return callback({ code: status.UNAUTHENTICATED, details: denied.message });
      }
      // proto-loader decoded the request by the method's schema, which wire.ts spells out for the handler.
      handler(call.request as never, call.metadata, span).then(
        (response) => {
          if (span) endGrpcSpan(span, fullMethod, call.metadata);
          callback(null, response);
        },
        (error: unknown) => {
          const failure = toApiError(error);
          if (!(error instanceof ApiError))
            runtime.logger.error('unexpected error in gRPC API', { method, error: failure.message });
          if (span) endGrpcSpan(span, fullMethod, call.metadata, failure.message);
          callback({ code: failure.grpcCode, details: failure.message });
        },
      );
    };
  }
  server.addService(daprService().service, implementation);
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${options.port}`, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
  return {
    port,
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
