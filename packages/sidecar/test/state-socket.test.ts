/** The state flow with the store served over a socket by the `daprkit-state-memory` bin instead of in process. */
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { waitForSocket } from '@daprkit/component-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStateFlow } from './state-flow.js';
import {
  ensureSidecarBuilt,
  REPO_ROOT,
  type SidecarProcess,
  startSidecarProcess,
  stopAllProcesses,
  stopProcess,
} from './support.js';

let sidecar: SidecarProcess;
let client: DaprClient;
let plugin: ReturnType<typeof spawn>;

beforeAll(async () => {
  await ensureSidecarBuilt(['packages/state-memory']);
  const folder = await mkdtemp('/tmp/dk-sock-');
  plugin = spawn(
    process.execPath,
    [join(REPO_ROOT, 'packages/state-memory/bin/daprkit-state-memory.js'), '--socket-folder', folder],
    { stdio: 'ignore' },
  );
  await waitForSocket(join(folder, 'daprkit-memory.sock'), 15_000);
  const resources = await mkdtemp('/tmp/dk-res-');
  await writeFile(
    join(resources, 'store.yaml'),
    `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: remote-store
spec:
  type: state.daprkit-memory
  version: v1
  metadata:
    - name: keyPrefix
      value: name
`,
  );
  sidecar = await startSidecarProcess([
    '--app-id',
    'socket-app',
    '--resources-path',
    resources,
    '--sockets-folder',
    folder,
  ]);
  client = new DaprClient({
    daprHost: '127.0.0.1',
    daprPort: String(sidecar.httpPort),
    communicationProtocol: CommunicationProtocolEnum.HTTP,
    logger: { level: LogLevel.Error },
  });
});

afterAll(async () => {
  await client?.stop();
  await stopAllProcesses();
  if (plugin) await stopProcess(plugin);
});

describe('state store over a pluggable socket', () => {
  it('is loaded from the socket and reports its capabilities', async () => {
    expect(sidecar.logs()).toMatch(/"name":"remote-store".*"from":"socket [^"]*daprkit-memory\.sock"/);
    const metadata = await client.metadata.get();
    expect(metadata.components.find((c) => c.name === 'remote-store')?.capabilities).toEqual(
      expect.arrayContaining(['ETAG', 'TRANSACTIONAL', 'ACTOR']),
    );
  });

  it('runs the state flow', async () => {
    await runStateFlow(client, 'remote-store', 'sock');
  });
});
