/**
 * The outbox with its state store served over a pluggable socket (`daprkit-state-memory` bin): the write path's
 * insert-only marker and the relay's fence travel through the socket and keep their ETag semantics.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureSidecarBuilt,
  http,
  REPO_ROOT,
  type SidecarProcess,
  startApp,
  startSidecarProcess,
  stopAllProcesses,
  stopProcess,
  waitFor,
} from './support.js';

let sidecar: SidecarProcess;
let plugin: ReturnType<typeof spawn>;
let app: Awaited<ReturnType<typeof startApp>>;
const orders = () =>
  app.requests.filter((r) => r.url === '/orders').map((r) => JSON.parse(r.body) as Record<string, unknown>);
const transaction = (operations: unknown[]) =>
  http(sidecar.httpPort, 'POST', '/v1.0/state/remote/transaction', JSON.stringify({ operations }), {
    'content-type': 'application/json',
  });

beforeAll(async () => {
  await ensureSidecarBuilt(['packages/state-memory']);
  const folder = await mkdtemp('/tmp/dk-outbox-sock-');
  plugin = spawn(
    process.execPath,
    [join(REPO_ROOT, 'packages/state-memory/bin/daprkit-state-memory.js'), '--socket-folder', folder],
    { stdio: 'ignore' },
  );
  await waitFor(() => existsSync(join(folder, 'daprkit-memory.sock')) || undefined, 15_000, 'state-memory socket');
  app = await startApp({
    'GET /dapr/subscribe': (_r, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify([{ pubsubname: 'pubsub', topic: 'orders', route: '/orders' }]));
    },
    '/orders': (_r, res: ServerResponse) => {
      res.writeHead(200);
      res.end();
    },
  });
  const resources = await mkdtemp('/tmp/dk-outbox-res-');
  await writeFile(
    join(resources, 'components.yaml'),
    `apiVersion: dapr.io/v1alpha1
kind: Component
metadata: { name: remote }
spec:
  type: state.daprkit-memory
  version: v1
  metadata:
    - { name: keyPrefix, value: none }
    - { name: outboxPublishPubsub, value: pubsub }
    - { name: outboxPublishTopic, value: orders }
    - { name: outboxDiscardWhenMissingState, value: "true" }
    - { name: outboxMissingStateTimeout, value: 500ms }
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: { name: pubsub }
spec:
  type: pubsub.in-memory
  version: v1
  metadata: []
`,
  );
  sidecar = await startSidecarProcess([
    '--app-id',
    'order-processor',
    '--app-port',
    String(app.port),
    '--resources-path',
    resources,
    '--sockets-folder',
    folder,
  ]);
  await waitFor(async () => (await http(sidecar.httpPort, 'GET', '/v1.0/healthz')).status === 204, 10_000, 'ready');
});

afterAll(async () => {
  await stopAllProcesses();
  if (plugin) await stopProcess(plugin);
  await app?.close();
});

describe('outbox through a socket state store', () => {
  it('relays a committed order and fences the marker of a failed one', async () => {
    expect((await transaction([{ operation: 'upsert', request: { key: 'o1', value: 'committed' } }])).status).toBe(204);
    const event = await waitFor(() => orders()[0], 10_000, 'order event');
    expect(event).toMatchObject({ data: 'committed', topic: 'orders', source: 'order-processor' });
    await waitFor(
      async () => (await http(sidecar.httpPort, 'GET', `/v1.0/state/remote/${String(event.id)}`)).status === 204,
    );

    const failed = await transaction([{ operation: 'upsert', request: { key: 'o1', value: 'orphan', etag: 'stale' } }]);
    expect(failed.status).toBe(500);
    const id = await waitFor(
      () => /event discarded[^\n]*"id":"(outbox-[0-9a-f-]+)"/.exec(sidecar.logs())?.[1],
      10_000,
      'orphan discarded',
    );
    expect((await http(sidecar.httpPort, 'GET', `/v1.0/state/remote/${id}`)).text).toBe('"outbox-discarded"');
    expect(orders().map((e) => e.data)).toEqual(['committed']);
  });
});
