// Issue 21 item 3 through the sidecar: an app slower than its publishers makes publish fail clearly (500
// ERR_PUBSUB_PUBLISH_MESSAGE naming the queue limits, as daprd answers a broker's refusal) once the in-memory
// pub/sub queue is full, instead of answering 204 while memory grows.
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureSidecarBuilt,
  http,
  type SidecarProcess,
  startApp,
  startSidecarProcess,
  stopAllProcesses,
  waitFor,
} from './support.js';

let sidecar: SidecarProcess;
let app: Awaited<ReturnType<typeof startApp>>;
const held: ServerResponse[] = [];

beforeAll(async () => {
  await ensureSidecarBuilt();
  app = await startApp({
    'GET /dapr/subscribe': (_r, res) =>
      void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end('[{"pubsubname":"pubsub","topic":"slow","route":"/slow"}]'),
    // The stalled app: it never answers a delivery (until the test ends).
    '/slow': (_r, res) => void held.push(res),
  });
  const resources = await mkdtemp(join(tmpdir(), 'dk-backpressure-'));
  await writeFile(
    join(resources, 'pubsub.yaml'),
    `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pubsub
spec:
  type: pubsub.in-memory
  version: v1
  metadata:
    - name: maxQueuedMessages
      value: "3"
    - name: publishTimeout
      value: "0s"
`,
  );
  sidecar = await startSidecarProcess([
    ...['--app-id', 'backpressure', '--app-port', String(app.port), '--resources-path', resources],
  ]);
});

afterAll(async () => {
  for (const res of held) res.writeHead(200).end();
  await stopAllProcesses();
  await app?.close();
});

describe('publish to a stalled subscriber', () => {
  it('is accepted up to the queue bound, then fails with a clear 500 instead of queueing without bound', async () => {
    const publish = (n: number) =>
      http(sidecar.httpPort, 'POST', '/v1.0/publish/pubsub/slow', JSON.stringify({ n }), {
        'content-type': 'application/json',
      });
    expect((await publish(1)).status).toBe(204);
    await waitFor(() => held.length === 1, 15_000, 'the first delivery to reach the app');
    expect((await publish(2)).status).toBe(204);
    expect((await publish(3)).status).toBe(204);
    for (let n = 4; n < 10; n++) {
      const refused = await publish(n);
      expect(refused.status).toBe(500);
      expect(refused.json.errorCode).toBe('ERR_PUBSUB_PUBLISH_MESSAGE');
      expect(String(refused.json.message)).toMatch(/not keeping up.*maxQueuedMessages 3.*publishTimeout/);
    }
    // Once the app answers, the queue drains and publishing works again.
    held.shift()?.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"SUCCESS"}');
    await waitFor(() => held.length === 1, 15_000, 'the second delivery');
    expect((await publish(10)).status).toBe(204);
  });
});
