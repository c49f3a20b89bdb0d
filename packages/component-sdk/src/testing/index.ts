/**
 * @daprkit/component-sdk/testing — serve definitions on real unix sockets in a throw-away folder and drive
 * them with the daprd-like client; run a plugin bin as a child process and wait until its socket accepts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { remoteInputBinding, remoteOutputBinding } from '../client/bindings.js';
import { listServices } from '../client/discovery.js';
import { remotePubSub } from '../client/pubsub.js';
import type { RemoteOptions } from '../client/remote.js';
import { remoteSecretStore } from '../client/secretstore.js';
import { remoteStateStore } from '../client/state.js';
import { type Served, type ServeOptions, serve } from '../server/serve.js';
import { silentLogger } from '../v1/common.js';
import type { ComponentDefinition } from '../v1/definition.js';

export * from '../client/index.js';
export {
  type PluginProcess,
  type StartPluginOptions,
  startPluginProcess,
  type WaitForSocketOptions,
  waitForSocket,
} from './socket.js';
export { freePort, waitFor } from './wait.js';

export interface TestServer extends Served {
  folder: string;
  /** The socket of `name`; without a name, the only socket served. */
  socketPath(name?: string): string;
}

export interface TestServerOptions extends Omit<ServeOptions, 'components' | 'socketFolder' | 'socketPath'> {
  /** Serve here instead of a fresh temp folder (which is then not removed on close). */
  folder?: string;
}

/** Serves in a short folder under /tmp (unix socket paths are limited to ~107 bytes), removed on close. */
export async function startTestServer(
  definitions: ComponentDefinition[],
  options: TestServerOptions = {},
): Promise<TestServer> {
  const { folder: explicitFolder, ...serveOptions } = options;
  const folder = explicitFolder ?? (await mkdtemp('/tmp/dk-'));
  let served: Served;
  try {
    served = await serve({ logger: silentLogger, ...serveOptions, components: definitions, socketFolder: folder });
  } catch (err) {
    if (explicitFolder === undefined) await rm(folder, { recursive: true, force: true });
    throw err;
  }
  return {
    ...served,
    folder,
    socketPath(name?: string) {
      if (name === undefined) {
        if (served.sockets.length !== 1)
          throw new Error(`name one of the sockets: ${served.sockets.map((s) => s.name).join(', ')}`);
        return served.sockets[0]!.path;
      }
      const socket = served.sockets.find((s) => s.name === name);
      if (!socket) throw new Error(`no socket named '${name}'`);
      return socket.path;
    },
    async close() {
      await served.close();
      if (explicitFolder === undefined) await rm(folder, { recursive: true, force: true });
    },
  };
}

export interface TestClient {
  listServices(version?: 'v1alpha' | 'v1'): Promise<string[]>;
  state(instanceName?: string): ReturnType<typeof remoteStateStore>;
  pubsub(instanceName?: string): ReturnType<typeof remotePubSub>;
  inputBinding(instanceName?: string): ReturnType<typeof remoteInputBinding>;
  outputBinding(instanceName?: string): ReturnType<typeof remoteOutputBinding>;
  secretStore(instanceName?: string): ReturnType<typeof remoteSecretStore>;
  /** Closes every remote object this client created. */
  close(): Promise<void>;
}

/** Remote components on one socket; each call creates a new one (its own channel, like daprd per instance). */
export function createTestClient(
  socketPath: string,
  options: Omit<RemoteOptions, 'socketPath' | 'instanceName'> = {},
): TestClient {
  const opened: { close(): Promise<void> }[] = [];
  const track = <T extends { close(): Promise<void> }>(remote: T): T => {
    opened.push(remote);
    return remote;
  };
  const remoteOptions = (instanceName = ''): RemoteOptions => ({ ...options, socketPath, instanceName });
  return {
    listServices: (version) => listServices(socketPath, { version }),
    state: (name) => track(remoteStateStore(remoteOptions(name))),
    pubsub: (name) => track(remotePubSub(remoteOptions(name))),
    inputBinding: (name) => track(remoteInputBinding(remoteOptions(name))),
    outputBinding: (name) => track(remoteOutputBinding(remoteOptions(name))),
    secretStore: (name) => track(remoteSecretStore(remoteOptions(name))),
    async close() {
      await Promise.all(opened.splice(0).map((remote) => remote.close()));
    },
  };
}
