/**
 * Reaching a component in each mode: its own object (in-process), or served by the SDK's test server over a
 * real unix socket and driven through the daprd-like test client (socket).
 */
import type { ComponentDefinition, ComponentKind, ComponentKinds, Logger } from '@daprkit/component-sdk';
import type { Mode } from './types.js';

export interface Target<K extends ComponentKind> {
  component: ComponentKinds[K];
  /** Releases the server and client (socket mode); the component's own close is a case. */
  close(): Promise<void>;
}

type TestingModule = typeof import('@daprkit/component-sdk/testing');

// Loaded lazily: in-process runs must not pay for (or depend on) the gRPC stack.
async function loadTesting(): Promise<TestingModule> {
  try {
    return await import('@daprkit/component-sdk/testing');
  } catch (err) {
    throw new Error(
      `socket mode needs @daprkit/component-sdk/testing: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

export async function openTarget<K extends ComponentKind>(
  definition: ComponentDefinition<K>,
  mode: Mode,
  instanceName: string,
  logger: Logger,
): Promise<Target<K>> {
  if (mode === 'in-process') {
    return { component: definition.create({ instanceName, logger }), close: async () => {} };
  }
  const testing = await loadTesting();
  const server = await testing.startTestServer([definition as ComponentDefinition]);
  try {
    const client = testing.createTestClient(server.socketPath());
    const component = client[definition.kind](instanceName) as unknown as ComponentKinds[K];
    return {
      component,
      async close() {
        try {
          await client.close();
        } finally {
          await server.close();
        }
      },
    };
  } catch (err) {
    await server.close();
    throw err;
  }
}
