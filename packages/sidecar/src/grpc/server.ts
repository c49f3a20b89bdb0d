/**
 * The gRPC runtime API (`dapr.proto.runtime.v1.Dapr`, spec §3): API-token check and dispatch to one handler group
 * per building block (<area>-handlers.ts), which decode into the same protocol-neutral calls as the HTTP API.
 * Served on daprkit's own gRPC engine (component-sdk/transport) by default, or grpc-js (DAPRKIT_TRANSPORT=grpc-js).
 * The token is checked first for every method, served or not; methods no group serves go to the fallback
 * (gRPC proxy mode), which never answers UNIMPLEMENTED.
 */

import { rm } from 'node:fs/promises';
import { ErrorCode } from '@daprkit/component-sdk';
import {
  GrpcServer,
  type MethodShape,
  type RawCall,
  resolveTransport,
  type Transport,
} from '@daprkit/component-sdk/transport';
import type { sendUnaryData, UntypedServiceImplementation } from '@grpc/grpc-js';
import { endGrpcSpan, grpcResponseHeader, startGrpcSpan } from '../observability/api-spans.js';
import { grpcObserver } from '../observability/observe-api.js';
import { withComponentTrace } from '../observability/propagation.js';
import type { TraceSpan } from '../observability/tracing.js';
import type { Runtime } from '../runtime.js';
import { tokenMatches } from '../shared/api-token.js';
import { ApiError, apiError, toApiError } from '../shared/errors.js';
import { daprService } from '../shared/runtime-proto.js';
import { bindingsHandlers } from './bindings-handlers.js';
import { invokeHandlers } from './invoke-handlers.js';
import { metadataHandlers } from './metadata-handlers.js';
import { pubsubHandlers } from './pubsub-handlers.js';
import { secretsHandlers } from './secrets-handlers.js';
import { stateHandlers } from './state-handlers.js';
import type { GrpcMetadata, HandlerGroup, UnaryHandler } from './wire.js';

const DEFAULT_MAX_MESSAGE_BYTES = 4 << 20;

/** `--max-body-size` as a message limit: ≤0 means none (the largest length a gRPC frame can carry). */
function maxMessageBytes(options: GrpcApiOptions): number {
  const limit = options.maxBodySize ?? DEFAULT_MAX_MESSAGE_BYTES;
  return limit > 0 ? limit : 0xffffffff;
}

const hostPort = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/** One line per building block. */
const HANDLER_GROUPS: readonly ((runtime: Runtime) => HandlerGroup)[] = [
  stateHandlers,
  pubsubHandlers,
  bindingsHandlers,
  secretsHandlers,
  metadataHandlers,
  invokeHandlers,
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

export interface GrpcApiOptions {
  host: string;
  port: number;
  apiToken?: string;
  /** The server engine: daprkit's own HTTP/2 (default) or grpc-js; default from DAPRKIT_TRANSPORT. */
  transport?: Transport;
  /** More addresses on the same port (`--dapr-listen-addresses`). */
  extraHosts?: string[];
  /** A unix socket path instead of host/port (`--unix-domain-socket`). */
  socketPath?: string;
  /** `--max-body-size` in bytes; ≤0 = no limit. */
  maxBodySize?: number;
  /** How long close() waits for in-flight calls (`--dapr-graceful-shutdown-seconds`); default 2 s. */
  graceMs?: number;
  /**
   * Methods no handler group serves (gRPC proxy mode, invoke/grpc-proxy.ts), after the API token check. The
   * daprkit engine only: grpc-js has no unknown-method hook, so there they answer UNIMPLEMENTED.
   */
  fallback?: (call: RawCall) => void;
}

export interface GrpcApi {
  port: number;
  close(): Promise<void>;
}

/** Response header metadata as both engines take it in `sendMetadata`. */
interface ResponseHeader {
  set(key: string, value: Buffer): void;
  getMap(): Record<string, string | Buffer>;
}

/** The daprkit engine's response header: a plain map (grpc-js, and its load, only for the grpc-js engine). */
class PlainHeader implements ResponseHeader {
  private readonly map: Record<string, string | Buffer> = {};
  set(key: string, value: Buffer): void {
    this.map[key] = value;
  }
  getMap(): Record<string, string | Buffer> {
    return this.map;
  }
}

/** The unary implementation both engines host (grpc-js-shaped: call.request, call.metadata, callback). */
function implementationOf(
  runtime: Runtime,
  apiToken: string | undefined,
  newHeader: () => ResponseHeader = () => new PlainHeader(),
): Record<string, (call: { request: unknown; metadata: GrpcMetadata }, callback: sendUnaryData<unknown>) => void> {
  const implementation: ReturnType<typeof implementationOf> = {};
  const observe = grpcObserver(runtime, runtime.logger);
  const { tracer } = runtime;
  for (const [method, handler] of grpcHandlers(runtime)) {
    const fullMethod = `/dapr.proto.runtime.v1.Dapr/${method}`;
    implementation[method] = (call, plainCallback) => {
      const done = observe?.(fullMethod, call.metadata as never);
      const callback: sendUnaryData<unknown> =
        done === undefined
          ? plainCallback
          : (error, response) => {
              done(error ? (error.code ?? ErrorCode.Unknown) : 0 /* OK */);
              plainCallback(error, response);
            };
      let span: TraceSpan | undefined;
      if (tracer !== undefined) {
        span = startGrpcSpan(tracer, fullMethod, call.metadata);
        const header = newHeader();
        // Both engines' calls have sendMetadata (grpc-js' ServerUnaryCall; the daprkit engine's UnaryCall).
        if (grpcResponseHeader(span, fullMethod, header))
          (call as unknown as { sendMetadata(m: ResponseHeader): void }).sendMetadata(header);
      }
      // The daprkit engine already checked (authorize); grpc-js calls get it here.
      if (apiToken !== undefined) {
        const denied = authenticate(call.metadata, apiToken);
        if (denied) {
          if (span) endGrpcSpan(span, fullMethod, call.metadata, denied.message);
          return callback({ code: ErrorCode.Unauthenticated, details: denied.message });
        }
      }
      // The decoder of the method's schema produced the request, which wire.ts spells out for the handler.
      // Pluggable components get the span as gRPC metadata on the calls the handler starts (propagation.ts).
      withComponentTrace(span?.context, () => handler(call.request as never, call.metadata, span)).then(
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
  // The Dapr service's other methods are known, just not built: UNIMPLEMENTED (after the token), not proxied.
  for (const method of Object.keys(daprService().service)) {
    if (implementation[method] !== undefined) continue;
    const details = `${method} is not implemented by daprkit-sidecar`;
    implementation[method] = (call, callback) => {
      if (apiToken !== undefined) {
        const denied = authenticate(call.metadata, apiToken);
        if (denied) return fail(call, callback, { code: ErrorCode.Unauthenticated, details: denied.message });
      }
      fail(call, callback, { code: ErrorCode.Unimplemented, details });
    };
  }
  return implementation;
}

/** Ends a call of any shape with an error: unary calls through the callback, streams by emitting 'error'. */
function fail(call: object, callback: unknown, error: { code: number; details: string }): void {
  if (typeof callback === 'function') (callback as sendUnaryData<unknown>)(error);
  else (call as { emit(event: string, error: unknown): void }).emit('error', error);
}

async function startOnDaprkit(runtime: Runtime, options: GrpcApiOptions): Promise<GrpcApi> {
  const { apiToken, fallback } = options;
  const server = new GrpcServer({
    maxMessageBytes: maxMessageBytes(options),
    ...(apiToken
      ? {
          authorize: (metadata) => {
            const denied = authenticate(metadata, apiToken);
            return denied ? { code: ErrorCode.Unauthenticated, message: denied.message } : undefined;
          },
        }
      : {}),
    ...(fallback ? { fallback } : {}),
  });
  server.addService(
    daprService().service as unknown as Record<string, MethodShape>,
    implementationOf(runtime, undefined),
  );
  let port = 0;
  try {
    if (options.socketPath !== undefined) {
      await rm(options.socketPath, { force: true });
      await server.listen({ path: options.socketPath });
    } else {
      port = ((await server.listen({ host: options.host, port: options.port })) as { port: number }).port;
      for (const host of options.extraHosts ?? []) await server.listen({ host, port });
    }
  } catch (error) {
    server.forceShutdown();
    throw error;
  }
  return { port, close: () => closeGracefully(server, options.graceMs) };
}

async function startOnGrpcJs(runtime: Runtime, options: GrpcApiOptions): Promise<GrpcApi> {
  const { Metadata, Server, ServerCredentials } = await import('@grpc/grpc-js');
  const limit = options.maxBodySize ?? DEFAULT_MAX_MESSAGE_BYTES;
  const server = new Server({ 'grpc.max_receive_message_length': limit > 0 ? limit : -1 });
  server.addService(
    daprService().service,
    implementationOf(runtime, options.apiToken, () => new Metadata()) as unknown as UntypedServiceImplementation,
  );
  const bind = (address: string) =>
    new Promise<number>((resolve, reject) => {
      server.bindAsync(address, ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      );
    });
  let port = 0;
  try {
    if (options.socketPath !== undefined) {
      await rm(options.socketPath, { force: true });
      await bind(`unix:${options.socketPath}`);
    } else {
      port = await bind(hostPort(options.host, options.port));
      for (const host of options.extraHosts ?? []) await bind(hostPort(host, port));
    }
  } catch (error) {
    server.forceShutdown();
    throw error;
  }
  return { port, close: () => closeGracefully(server, options.graceMs) };
}

/** GOAWAY and drain, forced after `graceMs` (default 2 s). */
function closeGracefully(
  server: { tryShutdown(cb: () => void): void; forceShutdown(): void },
  graceMs = 2000,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export function startGrpcApi(runtime: Runtime, options: GrpcApiOptions): Promise<GrpcApi> {
  const transport = resolveTransport(options.transport);
  if (transport === 'grpc-js' && options.fallback)
    runtime.logger.warn('gRPC proxy mode needs the daprkit engine: with grpc-js unknown methods answer UNIMPLEMENTED');
  return transport === 'grpc-js' ? startOnGrpcJs(runtime, options) : startOnDaprkit(runtime, options);
}
