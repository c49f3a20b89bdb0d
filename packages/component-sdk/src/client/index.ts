/**
 * @daprkit/component-sdk/client — talks to a component socket exactly like daprd: reflection discovery,
 * one channel per instance tagged with `x-component-instance`, and statuses decoded the way daprd reads them.
 */
export { listServices, discoverSockets, socketNameOf, type ListServicesOptions, type DiscoveredSocket } from './discovery.js';
export type { RemoteOptions } from './remote.js';
export { remoteStateStore, type RemoteStateStore } from './state.js';
export { remotePubSub, type RemotePubSub } from './pubsub.js';
export { remoteInputBinding, remoteOutputBinding, type RemoteInputBinding, type RemoteOutputBinding } from './bindings.js';
export { remoteSecretStore, type RemoteSecretStore } from './secretstore.js';
export { decodeStatusError, readDetails, type StatusRules } from './status.js';
