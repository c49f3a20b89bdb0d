/**
 * The getting-started hello-world from the seed documents, unchanged (test/fixtures/hello-world): a Node app
 * (express, port 3000) that stores orders in `statestore` (state.redis) and a Python app that calls it by app id
 * (`/v1.0/invoke/nodeapp/method/neworder`) once a second, each behind its own daprkit sidecar; the sidecars find
 * each other by mDNS, as with `dapr run`. 10 of 10 orders must arrive and be persisted.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '@daprkit/component-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSidecar, type Sidecar } from '../src/index.js';
import { REDIS, registryFor, STATE_BACKENDS, unreachable } from './outbox-support.js';
import { ensureSidecarBuilt, http, stopProcess, waitFor } from './support.js';

const SEED = fileURLToPath(new URL('./fixtures/hello-world/', import.meta.url));
const redis = STATE_BACKENDS.find((b) => b.name === 'redis')!;
const python = (() => {
  try {
    execFileSync('python3', ['-c', 'import requests'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'python3 with the requests module is not installed';
  }
})();
if (python && process.env.CI === 'true') throw new Error(python);
const skip = (await unreachable([redis])) ?? python;
const suite = skip ? describe.skip : describe;

suite(`hello-world seed (node app + python app) on daprkit-sidecar${skip ? ` (SKIPPED: ${skip})` : ''}`, () => {
  let nodeSidecar: Sidecar;
  let pythonSidecar: Sidecar;
  let nodeApp: ChildProcess;
  let pythonApp: ChildProcess;
  let nodeOut = '';
  let pythonOut = '';

  beforeAll(async () => {
    await ensureSidecarBuilt(['packages/state-redis']);
    const work = await mkdtemp(join(tmpdir(), 'dk-hello-'));
    await copyFile(join(SEED, 'app.js'), join(work, 'app.js'));
    await copyFile(join(SEED, 'app.py'), join(work, 'app.py'));
    // The app's dependencies: express and body-parser from the workspace, isomorphic-fetch = Node's own fetch.
    const modules = join(work, 'node_modules');
    await mkdir(join(modules, 'isomorphic-fetch'), { recursive: true });
    await writeFile(join(modules, 'isomorphic-fetch', 'index.js'), 'module.exports = globalThis.fetch;\n');
    const fromDapr = createRequire(createRequire(import.meta.url).resolve('@dapr/dapr'));
    for (const dep of ['express', 'body-parser'])
      await symlink(dirname(fromDapr.resolve(`${dep}/package.json`)), join(modules, dep));
    const resources = join(work, 'components');
    await mkdir(resources);
    const yaml = (await readFile(join(SEED, 'statestore.yaml'), 'utf8')).replace('localhost:6379', REDIS);
    await writeFile(join(resources, 'statestore.yaml'), yaml);

    const common = { httpPort: 0, grpcPort: 0, logger: silentLogger, registry: registryFor([redis]) };
    nodeSidecar = await createSidecar({ ...common, appId: 'nodeapp', appPort: 3000, resourcesPaths: [resources] });
    pythonSidecar = await createSidecar({ ...common, appId: 'pythonapp', resourcesPaths: [resources] });
    await http(nodeSidecar.httpPort, 'DELETE', '/v1.0/state/statestore/order');
    nodeApp = spawn(process.execPath, ['app.js'], {
      cwd: work,
      env: { ...process.env, DAPR_HTTP_PORT: String(nodeSidecar.httpPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    nodeApp.stdout?.on('data', (c: Buffer) => (nodeOut += c.toString()));
    nodeApp.stderr?.on('data', (c: Buffer) => (nodeOut += c.toString()));
    await nodeSidecar.ready;
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled([pythonApp && stopProcess(pythonApp), nodeApp && stopProcess(nodeApp)]);
    await Promise.allSettled([nodeSidecar?.close(), pythonSidecar?.close()]);
  });

  it('delivers 10 of 10 orders from the python app to the node app, which persists each', async () => {
    pythonApp = spawn('python3', ['app.py'], {
      cwd: dirname(join(SEED, 'app.py')),
      env: { ...process.env, DAPR_HTTP_PORT: String(pythonSidecar.httpPort), PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    pythonApp.stdout?.on('data', (c: Buffer) => (pythonOut += c.toString()));
    pythonApp.stderr?.on('data', (c: Buffer) => (pythonOut += c.toString()));
    await waitFor(
      () => (/Got a new order! Order ID: 10\b/.test(nodeOut) ? true : undefined),
      30_000,
      '10 orders at the node app',
      { intervalMs: 250, detail: () => `--- node app\n${nodeOut}\n--- python app\n${pythonOut}` },
    );
    await stopProcess(pythonApp);
    const ids = [...nodeOut.matchAll(/Got a new order! Order ID: (\d+)/g)].map((m) => Number(m[1]));
    expect(ids.slice(0, 10)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(nodeOut.match(/Successfully persisted state\./g)?.length ?? 0).toBeGreaterThanOrEqual(10);
    expect(pythonOut).not.toMatch(/HTTP \d+ =>/);
    const stored = await http(nodeSidecar.httpPort, 'GET', '/v1.0/state/statestore/order');
    expect(stored.json.orderId).toBeGreaterThanOrEqual(10);
    const viaApp = await http(pythonSidecar.httpPort, 'GET', '/v1.0/invoke/nodeapp/method/order');
    expect(viaApp.status).toBe(200);
    expect(JSON.parse(viaApp.text).orderId).toBeGreaterThanOrEqual(10);
  });
});
