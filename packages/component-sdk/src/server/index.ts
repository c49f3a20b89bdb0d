/**
 * @daprkit/component-sdk/server — serves component definitions to daprd over unix sockets
 * (the Dapr pluggable-component protocol, with gRPC reflection for discovery).
 */
export { serve, type ServeOptions, type Served, type ServedSocket } from './serve.js';
export {
  resolveSocketFolder,
  DEFAULT_SOCKET_FOLDER,
  SOCKET_FOLDER_ENV_VARS,
  SOCKET_EXTENSION,
} from './socket-files.js';
export { runPluginCli, runServeCli } from './cli.js';
export { INSTANCE_HEADER } from './instances.js';
export { ServiceName } from './proto.js';
export { toServiceError } from './status.js';
