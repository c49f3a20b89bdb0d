// state-memory: Get/Set in process vs over the pluggable socket (plugin in its own process), driven once by our
// Node daprd-like client (grpc-js) and once by the Go daprd-like client (grpc-go, bench/go-client), which is
// what real daprd is. 64 calls in flight everywhere.
import { randomBytes } from 'node:crypto';
import { remoteStateStore } from '@daprkit/component-sdk/client';
import { definitions } from '@daprkit/state-memory';
import { goClient, runGoClient } from './go.mjs';
import { formatLatency, measureDetailed, printTable, settings, startPlugin } from './harness.mjs';

const value = randomBytes(64);
const keys = Array.from({ length: 1000 }, (_, i) => `bench||key-${i}`);
const setOp = (store) => (i) => store.set({ key: keys[i % keys.length], value, metadata: {}, options: {} });
const getOp = (store) => (i) => store.get({ key: keys[i % keys.length], metadata: {} });

export const COLUMNS = ['in process', 'socket Node', 'socket Go'];
export const RATIOS = [
  ['socket Node', 'in process'],
  ['socket Go', 'in process'],
  ['socket Go', 'socket Node'],
];

/**
 * Runs Set then Get for one package: in process, socket with the Node client, socket with the Go client.
 * Returns { rows, notes } ready for printTable.
 */
export async function stateRows({ local, pluginBin, socketName, properties }) {
  const go = await goClient();
  const notes = [];
  if (go.skip) notes.push(`socket Go skipped: ${go.skip}`);
  const plugin = await startPlugin(pluginBin);
  try {
    const socketPath = await plugin.ready(socketName);
    const remote = remoteStateStore({ socketPath, instanceName: 'bench' });
    await remote.init(properties);
    // The plugin process is fresh: warm it (and the client) up once, or the first measured cell pays for its JIT.
    for (const make of [setOp, getOp]) {
      await measureDetailed(make(remote), { warmupMs: 0, durationMs: settings.processWarmupMs / 2 });
    }
    const rows = [];
    const latency = [];
    for (const [scenario, make, op] of [
      ['Set', setOp, 'set'],
      ['Get', getOp, 'get'],
    ]) {
      const inProcess = await measureDetailed(make(local));
      const node = await measureDetailed(make(remote));
      let goResult;
      if (go.path) {
        try {
          goResult = await runGoClient(go.path, {
            socket: socketPath,
            op,
            props: properties,
            valueBytes: value.length,
          });
        } catch (err) {
          notes.push(`socket Go ${scenario} failed: ${err.message}`);
        }
      }
      rows.push({
        scenario,
        'in process': inProcess.opsPerSec,
        'socket Node': node.opsPerSec,
        'socket Go': goResult?.opsPerSec,
      });
      latency.push(
        `${scenario} latency p50/p99 µs: in process ${formatLatency(inProcess)}, socket Node ${formatLatency(node)}, socket Go ${formatLatency(goResult)}`,
      );
    }
    await remote.close?.();
    return { rows, notes: [...latency, ...notes] };
  } finally {
    await plugin.stop();
  }
}

export async function benchStateMemory() {
  const local = definitions[0].create({ instanceName: 'bench', logger: console });
  await local.init({});
  try {
    const { rows, notes } = await stateRows({
      local,
      pluginBin: new URL('../packages/state-memory/bin/daprkit-state-memory.js', import.meta.url).pathname,
      socketName: 'daprkit-memory',
      properties: {},
    });
    printTable('state-memory', COLUMNS, rows, { ratios: RATIOS, notes });
    return rows;
  } finally {
    await local.close?.();
  }
}
