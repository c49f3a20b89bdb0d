/**
 * @daprkit/component-sdk/server — serves component definitions to daprd over unix sockets
 * (the Dapr pluggable-component protocol, with gRPC reflection for discovery).
 */

export { runPluginCli, runServeCli } from './cli.js';
export { INSTANCE_HEADER } from './instances.js';
export { METRICS_HOST_ENV_VAR, METRICS_PORT_ENV_VAR, type PluginMetricsOptions } from './metrics.js';
export { ServiceName } from './proto.js';
export { type Served, type ServedSocket, type ServeOptions, serve, type Transport } from './serve.js';
export {
  DEFAULT_SOCKET_FOLDER,
  resolveSocketFolder,
  SOCKET_EXTENSION,
  SOCKET_FOLDER_ENV_VARS,
} from './socket-files.js';
export { DEFAULT_TRANSPORT, resolveTransport, TRANSPORT_ENV_VAR, TRANSPORTS } from './socket-server.js';
export { toServiceError } from './status.js';
