// state-memory: Get/Set in process vs over the pluggable socket (plugin in its own process, client like daprd).
import { randomBytes } from 'node:crypto';
import { remoteStateStore } from '@daprkit/component-sdk/client';
import { definitions } from '@daprkit/state-memory';
import { measure, printTable, startPlugin } from './harness.mjs';

const value = randomBytes(64);
const keys = Array.from({ length: 1000 }, (_, i) => `bench||key-${i}`);
const setOp = (store) => (i) => store.set({ key: keys[i % keys.length], value, metadata: {}, options: {} });
const getOp = (store) => (i) => store.get({ key: keys[i % keys.length], metadata: {} });

export async function benchStateMemory() {
  const local = definitions[0].create({ instanceName: 'bench', logger: console });
  await local.init({});
  const plugin = await startPlugin(new URL('../packages/state-memory/bin/daprkit-state-memory.js', import.meta.url).pathname);
  try {
    const remote = remoteStateStore({ socketPath: await plugin.ready('daprkit-memory'), instanceName: 'bench' });
    await remote.init({});
    const rows = [];
    for (const [scenario, make] of [['Set', setOp], ['Get', getOp]]) {
      rows.push({ scenario, 'in process': await measure(make(local)), socket: await measure(make(remote)) });
    }
    await remote.close?.();
    printTable('state-memory', ['in process', 'socket'], rows);
    return rows;
  } finally {
    await local.close?.();
    await plugin.stop();
  }
}
