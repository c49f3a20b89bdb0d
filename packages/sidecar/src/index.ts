/**
 * @daprkit/sidecar — a Dapr-compatible sidecar: composes daprkit component packages (in process) and pluggable
 * sockets, serves the Dapr HTTP and gRPC APIs, and delivers pub/sub and input binding events to the app.
 */

export { parseSidecarArgs, runSidecarCli } from './cli.js';
export { DEFAULT_REGISTRY } from './composition/registry.js';
export { loadResources } from './resources/load.js';
export type { ComponentResource, ConfigurationResource, Resources, SubscriptionResource } from './resources/types.js';
export { goJsonStringify } from './shared/go-json.js';
export { type ComponentInput, createSidecar, type Sidecar, type SidecarOptions } from './sidecar.js';
export { VERSION } from './version.js';
