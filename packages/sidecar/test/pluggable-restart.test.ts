/**
 * A pluggable component process killed and started again under a running sidecar: the sidecar logs it going away
 * and coming back (scope dapr.contrib), and publish (unary) and the subscription (stream) recover on their own.
 * The recovery times are printed, not asserted (the machine is shared).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '@daprkit/component-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSidecar, type Sidecar } from '../src/sidecar.js';
import { ensureSidecarBuilt, http, REPO_ROOT, startApp, stopProcess, waitFor } from './support.js';

let folder: string;
let plugin: ChildProcess | undefined;
let sidecar: Sidecar;
let app: Awaited<ReturnType<typeof startApp>>;
const lines: Record<string, unknown>[] = [];
const delivered: string[] = [];

/** Starts the pubsub-memory plugin; resolves when it printed `ready` (every socket accepts connections). */
function startPlugin(): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      join(REPO_ROOT, 'packages/pubsub-memory/bin/daprkit-pubsub-memory.js'),
      '--socket-folder',
      folder,
      '--ready-file',
      join(folder, 'ready.json'),
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`plugin exited with ${code}`)));
  });
}

beforeAll(async () => {
  await ensureSidecarBuilt(['packages/pubsub-memory']);
  folder = await mkdtemp('/tmp/dk-restart-');
  plugin = await startPlugin();
  app = await startApp({
    'GET /dapr/subscribe': (_r, res) =>
      void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify([{ pubsubname: 'remote-ps', topic: 'restart', route: '/restart' }])),
    'POST /restart': (r, res) => {
      delivered.push(String((JSON.parse(r.body) as { data: { n: string } }).data.n));
      res.writeHead(200).end();
    },
  });
  sidecar = await createSidecar({
    appId: `restart-${process.pid}`,
    appPort: app.port,
    httpPort: 0,
    grpcPort: false,
    socketsFolder: folder,
    components: [{ name: 'remote-ps', type: 'pubsub.daprkit-memory' }],
    logger: createLogger({ json: true, write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) }),
  });
  await sidecar.ready;
}, 60_000);

afterAll(async () => {
  await sidecar?.close();
  await app?.close();
  if (plugin) await stopProcess(plugin);
});

const publish = (n: string) =>
  http(sidecar.httpPort, 'POST', '/v1.0/publish/remote-ps/restart', JSON.stringify({ n }), {
    'content-type': 'application/json',
  });

describe('a pluggable component restarting under the sidecar', () => {
  it('is logged going away and coming back, and publish and delivery recover', async () => {
    expect((await publish('before')).status).toBe(204);
    await waitFor(() => delivered.includes('before'), 10_000, 'delivery before the restart');

    const killed = plugin!;
    const exited = new Promise((resolve) => killed.once('exit', resolve));
    killed.kill('SIGKILL');
    await exited;
    plugin = undefined;
    expect((await publish('while-down')).status).toBe(500);
    await waitFor(
      () => lines.some((l) => l.scope === 'dapr.contrib' && /pluggable component is unreachable/.test(String(l.msg))),
      10_000,
      'the unreachable log line',
    );

    plugin = await startPlugin();
    const back = performance.now();
    let published: number | undefined;
    let n = 0;
    // Publish until the app gets one: the first 204 is the unary path back, the first delivery the stream's.
    while (performance.now() - back < 20_000) {
      const id = `after-${n++}`;
      const status = (await publish(id)).status;
      if (status === 204 && published === undefined) published = performance.now() - back;
      if (delivered.some((d) => d.startsWith('after-'))) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const deliveredAfter = performance.now() - back;
    expect(published).toBeDefined();
    expect(delivered.some((d) => d.startsWith('after-'))).toBe(true);
    const backLine = lines.find(
      (l) => l.scope === 'dapr.contrib' && /pluggable component is reachable again/.test(String(l.msg)),
    );
    expect(backLine).toMatchObject({ level: 'info', instance: expect.any(String) });
    expect(typeof backLine!.downMs).toBe('number');
    console.log(
      `[pluggable restart] after the plugin was ready again: publish ok in ${published!.toFixed(0)} ms, ` +
        `delivery resumed in ${deliveredAfter.toFixed(0)} ms (plugin down ${String(backLine!.downMs)} ms in all)`,
    );
  }, 60_000);
});
