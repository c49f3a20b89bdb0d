/**
 * @daprkit/component-sdk/client — talks to a component socket exactly like daprd: reflection discovery,
 * one channel per instance tagged with `x-component-instance`, and statuses decoded the way daprd reads them.
 */

export { type CallMetadataSource, withCallMetadata } from '../transport/call-metadata.js';
export {
  type RemoteInputBinding,
  type RemoteOutputBinding,
  remoteInputBinding,
  remoteOutputBinding,
} from './bindings.js';
export {
  type DiscoveredSocket,
  discoverSockets,
  type ListServicesOptions,
  listServices,
  socketNameOf,
} from './discovery.js';
export { type RemotePubSub, remotePubSub } from './pubsub.js';
export type { RemoteOptions } from './remote.js';
export { type RemoteSecretStore, remoteSecretStore } from './secretstore.js';
export { type RemoteStateStore, remoteStateStore } from './state.js';
export { decodeStatusError, readDetails, type StatusRules } from './status.js';
