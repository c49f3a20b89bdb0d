/**
 * The gRPC runtime API (`dapr.proto.runtime.v1.Dapr`, spec §3): API-token check and dispatch to one handler group
 * per building block (<area>-handlers.ts), which decode into the same protocol-neutral calls as the HTTP API.
 * Methods no group serves answer UNIMPLEMENTED.
 */

import { rm } from 'node:fs/promises';
import {
  type Metadata as GrpcMetadata,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js';
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
  options: {
    host: string;
    port: number;
    apiToken?: string;
    /** More addresses on the same port (`--dapr-listen-addresses`). */
    extraHosts?: string[];
    /** A unix socket path instead of host/port (`--unix-domain-socket`). */
    socketPath?: string;
    /** `--max-body-size` in bytes; ≤0 = no limit. */
    maxBodySize?: number;
    /** How long close() waits for in-flight calls (`--dapr-graceful-shutdown-seconds`); default 2 s. */
    graceMs?: number;
  },
): Promise<{ port: number; close(): Promise<void> }> {
  const maxBody = options.maxBodySize ?? 4 << 20;
  const server = new Server({ 'grpc.max_receive_message_length': maxBody > 0 ? maxBody : -1 });
  const implementation: Record<
    string,
    (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => void
  > = {};
  for (const [method, handler] of grpcHandlers(runtime)) {
    implementation[method] = (call, callback) => {
      const denied = authenticate(call.metadata, options.apiToken);
      if (denied) return callback({ code: status.UNAUTHENTICATED, details: denied.message });
      // proto-loader decoded the request by the method's schema, which wire.ts spells out for the handler.
      handler(call.request as never, call.metadata).then(
        (response) => callback(null, response),
        (error: unknown) => {
          const failure = toApiError(error);
          if (!(error instanceof ApiError))
            runtime.logger.error('unexpected error in gRPC API', { method, error: failure.message });
          callback({ code: failure.grpcCode, details: failure.message });
        },
      );
    };
  }
  server.addService(daprService().service, implementation);
  const bind = (address: string) =>
    new Promise<number>((resolve, reject) => {
      server.bindAsync(address, ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      );
    });
  const hostPort = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;
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
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, options.graceMs ?? 2000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
