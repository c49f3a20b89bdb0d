/**
 * daprkit's gRPC engine (our own HTTP/2 on node:net) for servers and clients that are not pluggable components:
 * the sidecar's gRPC API, its internal (sidecar-to-sidecar) API and its clients. Component authors do not need
 * it: `serve()` uses it by default.
 */

export { type CallMetadataSource, currentCallMetadata, withCallMetadata } from './call-metadata.js';
export { DEFAULT_TRANSPORT, resolveTransport, TRANSPORT_ENV_VAR, TRANSPORTS, type Transport } from './choice.js';
export {
  ClientDuplex,
  type ClientError,
  type ClientOptions,
  type ClientTarget,
  GRPC_STATUS_NAMES,
  GrpcClient,
  type StatusObject,
} from './grpc-client.js';
export {
  CallMetadata,
  DuplexCall,
  GrpcServer,
  type GrpcServerOptions,
  type ListenTarget,
  type MethodShape,
  RawCall,
} from './grpc-server.js';
export type { H2Stream } from './h2.js';
export { engineStats } from './h2.js';
