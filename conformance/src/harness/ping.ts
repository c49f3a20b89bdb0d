/** §0.4: ping is optional; a component without it counts as answering the type's "not implemented" sentinel. */
import { type Component, DaprkitError, ErrorCode } from '@daprkit/component-sdk';
import { fail } from './assert.js';
import type { Mode } from './types.js';

export const PING_SENTINELS = {
  state: 'ping is not implemented by this state store',
  pubsub: 'ping is not implemented by this pubsub',
  inputBinding: 'ping is not implemented by this input binding',
  outputBinding: 'ping is not implemented by this output binding',
  secretStore: 'ping is not implemented by this secret store',
} as const;

export async function checkPing(component: Component, sentinel: string, mode: Mode): Promise<string | undefined> {
  if (typeof component.ping !== 'function') return `no ping(): treated as '${sentinel}'`;
  try {
    await component.ping();
    return undefined;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (message === sentinel) return 'ping answered the not-implemented sentinel';
    // Over the wire a missing Ping RPC is UNIMPLEMENTED, which daprd treats the same way.
    if (mode === 'socket' && DaprkitError.isInstance(err) && err.code === ErrorCode.Unimplemented) {
      return 'Ping answered UNIMPLEMENTED';
    }
    fail(`ping failed: ${message}`);
  }
}
