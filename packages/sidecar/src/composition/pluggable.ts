/**
 * Pluggable components on unix sockets, discovered once at start-up exactly as daprd does (spec §1.5): the socket's
 * file name is the type name, its reflection list says which building blocks it serves. The remote objects implement
 * the same contracts as in-process components, so the rest of the sidecar cannot tell them apart.
 */
import { readdir } from 'node:fs/promises';
import {
  type ComponentKind,
  type ComponentKinds,
  componentKindOfService,
  type Logger,
  scopedLogger,
} from '@daprkit/component-sdk';
import { lazy } from '../shared/lazy.js';

/** The daprd-like client (and the gRPC stack under it), loaded only when the sockets folder holds a socket. */
const client = lazy(() => import('@daprkit/component-sdk/client'));

/** Whether `folder` holds any socket; an absent folder holds none (other errors are left to discovery). */
async function hasSockets(folder: string): Promise<boolean> {
  try {
    return (await readdir(folder, { withFileTypes: true })).some((entry) => entry.isSocket());
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

export const DEFAULT_SOCKETS_FOLDER = '/tmp/dapr-components-sockets';

/** Every component type the sockets folder offers, with its socket. An absent folder offers nothing. */
export async function discoverPluggableTypes(
  folder: string,
): Promise<Map<string, { socketPath: string; kinds: ComponentKind[] }>> {
  const offered = new Map<string, { socketPath: string; kinds: ComponentKind[] }>();
  if (!(await hasSockets(folder))) return offered;
  const { discoverSockets } = await client();
  for (const socket of await discoverSockets(folder)) {
    for (const service of socket.services) {
      const info = componentKindOfService(service);
      if (info === undefined) continue;
      const type = `${info.category}.${socket.name}`.toLowerCase();
      const entry = offered.get(type) ?? { socketPath: socket.path, kinds: [] };
      entry.kinds.push(info.kind);
      offered.set(type, entry);
    }
  }
  return offered;
}

/**
 * A client object for one component instance on a socket. The logger (scope `dapr.contrib`) hears when the plugin
 * goes away and comes back.
 */
export function remoteComponent<K extends ComponentKind>(
  kind: K,
  socketPath: string,
  instanceName: string,
  logger?: Logger,
): ComponentKinds[K] {
  const target = logger
    ? { socketPath, instanceName, logger: scopedLogger(logger, 'dapr.contrib') }
    : { socketPath, instanceName };
  // Discovery found this socket, so it loaded the client.
  const loaded = client.value;
  if (loaded === undefined) throw new Error('remoteComponent called before discoverPluggableTypes');
  const { remoteInputBinding, remoteOutputBinding, remotePubSub, remoteSecretStore, remoteStateStore } = loaded;
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
