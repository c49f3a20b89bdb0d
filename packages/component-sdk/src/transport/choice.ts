/**
 * Which gRPC server engine to run: daprkit's own (the default) or grpc-js. One rule for the plugin server and the
 * sidecar: an explicit option, then DAPRKIT_TRANSPORT, then the default.
 */

export type Transport = 'daprkit' | 'grpc-js';
export const TRANSPORTS: readonly Transport[] = ['daprkit', 'grpc-js'];
export const TRANSPORT_ENV_VAR = 'DAPRKIT_TRANSPORT';
export const DEFAULT_TRANSPORT: Transport = 'daprkit';

/** Explicit option, then DAPRKIT_TRANSPORT, then the default; anything else is an error naming the choices. */
export function resolveTransport(explicit?: string, env: NodeJS.ProcessEnv = process.env): Transport {
  const value = explicit ?? (env[TRANSPORT_ENV_VAR] || undefined) ?? DEFAULT_TRANSPORT;
  if (!(TRANSPORTS as readonly string[]).includes(value)) {
    throw new Error(
      `unknown transport '${value}' (${TRANSPORT_ENV_VAR} or the transport option): use ${TRANSPORTS.join(' or ')}`,
    );
  }
  return value as Transport;
}
