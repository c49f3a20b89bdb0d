/**
 * Pluggable components on unix sockets, discovered once at start-up exactly as daprd does (spec §1.5): the socket's
 * file name is the type name, its reflection list says which building blocks it serves. The remote objects implement
 * the same contracts as in-process components, so the rest of the sidecar cannot tell them apart.
 */
import type { ComponentKind, ComponentKinds } from '@daprkit/component-sdk';
import {
  discoverSockets,
  remoteInputBinding,
  remoteOutputBinding,
  remotePubSub,
  remoteSecretStore,
  remoteStateStore,
} from '@daprkit/component-sdk/client';

const SERVICE_KINDS: Record<string, ComponentKind> = {
  'dapr.proto.components.v1.StateStore': 'state',
  'dapr.proto.components.v1.PubSub': 'pubsub',
  'dapr.proto.components.v1.InputBinding': 'inputBinding',
  'dapr.proto.components.v1.OutputBinding': 'outputBinding',
  'dapr.proto.components.v1.SecretStore': 'secretStore',
};

const CATEGORY_OF: Record<ComponentKind, string> = {
  state: 'state',
  pubsub: 'pubsub',
  inputBinding: 'bindings',
  outputBinding: 'bindings',
  secretStore: 'secretstores',
};

export const DEFAULT_SOCKETS_FOLDER = '/tmp/dapr-components-sockets';

/** Every component type the sockets folder offers, with its socket. An absent folder offers nothing. */
export async function discoverPluggableTypes(
  folder: string,
): Promise<Map<string, { socketPath: string; kinds: ComponentKind[] }>> {
  const offered = new Map<string, { socketPath: string; kinds: ComponentKind[] }>();
  for (const socket of await discoverSockets(folder)) {
    for (const service of socket.services) {
      const kind = SERVICE_KINDS[service];
      if (kind === undefined) continue;
      const type = `${CATEGORY_OF[kind]}.${socket.name}`.toLowerCase();
      const entry = offered.get(type) ?? { socketPath: socket.path, kinds: [] };
      entry.kinds.push(kind);
      offered.set(type, entry);
    }
  }
  return offered;
}

/** A client object for one component instance on a socket. */
export function remoteComponent<K extends ComponentKind>(
  kind: K,
  socketPath: string,
  instanceName: string,
): ComponentKinds[K] {
  const target = { socketPath, instanceName };
  const factories: { [P in ComponentKind]: () => ComponentKinds[P] } = {
    state: () => remoteStateStore(target),
    // Unlike daprd, let the component's own concurrency through: the same parallelism as the package in process.
    pubsub: () => remotePubSub({ ...target, deliverConcurrently: true }),
    inputBinding: () => remoteInputBinding(target),
    outputBinding: () => remoteOutputBinding(target),
    secretStore: () => remoteSecretStore(target),
  };
  return factories[kind]() as ComponentKinds[K];
}
