// Socket files (§1.1, §1.6), serve() validation, graceful shutdown, message size, and the CLIs.
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ComponentDefinition,
  type ComponentKind,
  defineComponent,
  type MessageHandler,
  type StateStore,
  silentLogger,
} from '@daprkit/component-sdk';
import { listServices, remotePubSub, remoteStateStore } from '@daprkit/component-sdk/client';
import { DEFAULT_SOCKET_FOLDER, resolveSocketFolder, serve } from '@daprkit/component-sdk/server';
import { createTestClient, startTestServer } from '@daprkit/component-sdk/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resolvePackageEntry, startPluginCli, startServeCli } from '../src/server/cli.js';

const simpleStore = (): StateStore => ({
  async init() {},
  features: () => [],
  async get() {
    return {};
  },
  async set() {},
  async delete() {},
});

function stateDefinition(socketName: string, create: () => StateStore = simpleStore): ComponentDefinition {
  return defineComponent({
    kind: 'state',
    socketName,
    types: [],
    packageName: `pkg-${socketName}`,
    version: '0',
    create,
  });
}

let scratch: string;
beforeEach(async () => {
  scratch = await mkdtemp('/tmp/dk-t-');
});
afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('socket folder resolution', () => {
  it('prefers the option, then the three env spellings in order, then the literal daprd default', () => {
    const env = {
      DAPR_COMPONENTS_SOCKETS_FOLDER: '/a',
      DAPR_COMPONENT_SOCKETS_FOLDER: '/b',
      DAPR_COMPONENT_SOCKET_FOLDER: '/c',
    };
    expect(resolveSocketFolder('/opt', env)).toBe('/opt');
    expect(resolveSocketFolder(undefined, env)).toBe('/a');
    expect(resolveSocketFolder(undefined, { ...env, DAPR_COMPONENTS_SOCKETS_FOLDER: '' })).toBe('/b');
    expect(resolveSocketFolder(undefined, { DAPR_COMPONENT_SOCKET_FOLDER: '/c' })).toBe('/c');
    expect(resolveSocketFolder(undefined, {})).toBe('/tmp/dapr-components-sockets');
    expect(DEFAULT_SOCKET_FOLDER).toBe('/tmp/dapr-components-sockets');
  });

  it('serve() reads the env var when no folder option is given', async () => {
    vi.stubEnv('DAPR_COMPONENTS_SOCKETS_FOLDER', join(scratch, 'from-env'));
    try {
      const served = await serve({ components: [stateDefinition('env-store')], logger: silentLogger });
      expect(served.sockets[0]!.path).toBe(join(scratch, 'from-env', 'env-store.sock'));
      await served.close();
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('socket files', () => {
  it('creates the folder, replaces a stale file, chmods 0660 (no access for other users), and removes the socket on close', async () => {
    const folder = join(scratch, 'nested', 'sockets');
    await mkdir(folder, { recursive: true });
    const path = join(folder, 'files.sock');
    await writeFile(path, 'left over by a crashed process');
    const served = await serve({ components: [stateDefinition('files')], socketFolder: folder, logger: silentLogger });
    expect(served.sockets).toEqual([{ name: 'files', path, services: expect.any(Array) }]);
    const stats = await lstat(path);
    expect(stats.isSocket()).toBe(true);
    expect(stats.mode & 0o777).toBe(0o660);
    await served.close();
    expect(existsSync(path)).toBe(false);
  });

  it('replaces a socket nobody serves, but refuses one another process is still serving', async () => {
    // Another process listening on the socket (as a second copy of a plugin would find the first one).
    const { spawn } = await import('node:child_process');
    const listener = async (socketPath: string) => {
      const child = spawn(process.execPath, [
        '-e',
        `require('node:net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('up'))`,
      ]);
      await new Promise((resolve) => child.stdout.once('data', resolve));
      return child;
    };
    const path = join(scratch, 'busy.sock');
    const other = await listener(path);
    try {
      await expect(
        serve({ components: [stateDefinition('busy')], socketPath: path, logger: silentLogger }),
      ).rejects.toThrow(/already served by another process/);
      expect((await lstat(path)).isSocket()).toBe(true); // left in place
    } finally {
      other.kill('SIGKILL');
    }
    // A listener killed with SIGKILL leaves its socket file behind: that one is taken over.
    const stalePath = join(scratch, 'stale.sock');
    const dead = await listener(stalePath);
    await new Promise((resolve) => {
      dead.once('exit', resolve);
      dead.kill('SIGKILL');
    });
    expect((await lstat(stalePath)).isSocket()).toBe(true);
    const second = await serve({ components: [stateDefinition('stale')], socketPath: stalePath, logger: silentLogger });
    expect(await listServices(stalePath)).toContain('dapr.proto.components.v1.StateStore');
    await second.close();
  });

  it('creates a missing folder, honours socketMode and an explicit socketPath', async () => {
    const path = join(scratch, 'new-folder', 'custom.sock');
    const served = await serve({
      components: [stateDefinition('ignored-name')],
      socketPath: path,
      socketMode: 0o600,
      logger: silentLogger,
    });
    expect(served.sockets[0]!.path).toBe(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await listServices(path)).toContain('dapr.proto.components.v1.StateStore');
    await served.close();
  });

  it('rejects invalid combinations before touching the file system', async () => {
    const two = [stateDefinition('one'), stateDefinition('two')];
    await expect(serve({ components: two, socketPath: join(scratch, 'x.sock'), logger: silentLogger })).rejects.toThrow(
      /exactly one socket name/,
    );
    await expect(
      serve({
        components: [stateDefinition('dup'), stateDefinition('dup')],
        socketFolder: scratch,
        logger: silentLogger,
      }),
    ).rejects.toThrow(/duplicate socket name 'dup' for kind state/);
    const upper = { ...stateDefinition('case'), socketName: 'Case', kind: 'pubsub' as ComponentKind };
    await expect(
      serve({ components: [stateDefinition('case'), upper], socketFolder: scratch, logger: silentLogger }),
    ).rejects.toThrow(/differ only in case/);
    await expect(serve({ components: [], socketFolder: scratch, logger: silentLogger })).rejects.toThrow(
      /nothing to serve/,
    );
    await expect(
      serve({ components: [stateDefinition('x'.repeat(120))], socketFolder: scratch, logger: silentLogger }),
    ).rejects.toThrow(/at most 107/);
    expect(existsSync(join(scratch, 'one.sock'))).toBe(false);
  });

  it('refuses to serve a path this process already serves (it would unlink a live socket)', async () => {
    const served = await serve({ components: [stateDefinition('busy')], socketFolder: scratch, logger: silentLogger });
    await expect(
      serve({ components: [stateDefinition('busy')], socketFolder: scratch, logger: silentLogger }),
    ).rejects.toThrow(/already served/);
    expect(await listServices(served.sockets[0]!.path)).toHaveLength(6);
    await served.close();
  });
});

describe('shutdown', () => {
  it('waits for an in-flight call, then closes every component instance', async () => {
    const events: string[] = [];
    const slowStore = (): StateStore => ({
      ...simpleStore(),
      async get() {
        events.push('get started');
        await new Promise((r) => setTimeout(r, 200));
        events.push('get finished');
        return { data: Buffer.from('late') };
      },
      async close() {
        events.push('closed');
      },
    });
    const server = await startTestServer([stateDefinition('slow', slowStore)], {
      folder: scratch,
      drainTimeoutMs: 5_000,
    });
    const store = remoteStateStore({ socketPath: server.socketPath(), instanceName: 'slow' });
    await store.init({});
    const pending = store.get({ key: 'k', metadata: {} });
    await vi.waitFor(() => expect(events).toEqual(['get started']));
    await server.close();
    await expect(pending).resolves.toEqual({ data: Buffer.from('late') });
    expect(events).toEqual(['get started', 'get finished', 'closed']);
    expect(existsSync(server.socketPath())).toBe(false);
    await store.close();
  });

  it('ends open streams with their signal aborted and unacknowledged messages rejected', async () => {
    let handler: MessageHandler | undefined;
    let signal: AbortSignal | undefined;
    const server = await startTestServer(
      [
        defineComponent({
          kind: 'pubsub',
          socketName: 'closing',
          types: [],
          packageName: 't',
          version: '0',
          create: () => ({
            async init() {},
            features: () => [],
            async publish() {},
            async subscribe(_request, h, s) {
              handler = h;
              signal = s;
            },
          }),
        }),
      ],
      { folder: scratch, drainTimeoutMs: 100 },
    );
    const pubsub = remotePubSub({ socketPath: server.socketPath(), instanceName: 'c' });
    await pubsub.init({});
    await pubsub.subscribe({ topic: 't', metadata: {} }, () => new Promise(() => {}), new AbortController().signal);
    await vi.waitFor(() => expect(handler).toBeDefined());
    const delivery = handler!({ data: Buffer.from('x'), topic: 't', metadata: {} }).catch((e: Error) => e);
    await server.close();
    expect(await delivery).toMatchObject({
      message: expect.stringMatching(/shutting down before the message was acknowledged/),
    });
    expect(signal!.aborted).toBe(true);
    await pubsub.close();
  });
});

describe('forced shutdown', () => {
  it('gives up on a stuck call after drainTimeoutMs and still closes the components', async () => {
    let closed = false;
    const stuck = (): StateStore => ({
      ...simpleStore(),
      get: () => new Promise(() => {}),
      async close() {
        closed = true;
      },
    });
    const server = await startTestServer([stateDefinition('stuck', stuck)], { folder: scratch, drainTimeoutMs: 150 });
    const store = remoteStateStore({ socketPath: server.socketPath(), instanceName: 's' });
    await store.init({});
    const pending = store.get({ key: 'k', metadata: {} }).catch((e: { code: number }) => e);
    await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(closed).toBe(true);
    expect(await pending).toMatchObject({ code: expect.any(Number) });
    await store.close();
  });
});

describe('message size', () => {
  it('accepts a request above grpc’s 4 MiB default and returns it to a client with a raised limit', async () => {
    const rows = new Map<string, Uint8Array>();
    const server = await startTestServer(
      [
        stateDefinition('big', () => ({
          ...simpleStore(),
          async set(r) {
            rows.set(r.key, r.value);
          },
          async get(r) {
            return { data: rows.get(r.key) };
          },
        })),
      ],
      { folder: scratch },
    );
    const store = createTestClient(server.socketPath()).state('big');
    await store.init({});
    const value = Buffer.alloc(6 * 1024 * 1024, 7);
    await store.set({ key: 'k', value, metadata: {}, options: {} });
    expect(rows.get('k')?.length).toBe(value.length);
    expect((await store.get({ key: 'k', metadata: {} })).data?.length).toBe(value.length);
    await store.close();
    await server.close();
  });
});

describe('command lines', () => {
  const moduleSource = `
export const definitions = [{
  kind: 'state', socketName: 'cli-store', types: [], packageName: 'cli-pkg', version: '1.0.0',
  create: () => ({ async init() {}, features: () => ['ETAG'], async get() { return {}; }, async set() {}, async delete() {} }),
}];`;

  it('daprkit-serve loads a package by path and serves its definitions', async () => {
    await writeFile(join(scratch, 'component.mjs'), moduleSource);
    const served = await startServeCli(
      ['./component.mjs', '--socket-folder', join(scratch, 's'), '--log-level', 'error'],
      {},
      scratch,
    );
    expect(served.sockets.map((s) => s.path)).toEqual([join(scratch, 's', 'cli-store.sock')]);
    const store = remoteStateStore({ socketPath: served.sockets[0]!.path, instanceName: 'x' });
    await store.init({});
    expect(store.features()).toEqual(['ETAG']);
    await store.close();
    await served.close();
  });

  it('resolves bare package names from the working directory, honouring exports', async () => {
    const packageDir = join(scratch, 'node_modules', '@acme', 'store');
    await mkdir(join(packageDir, 'dist'), { recursive: true });
    await writeFile(
      join(packageDir, 'package.json'),
      JSON.stringify({
        name: '@acme/store',
        type: 'module',
        exports: { '.': { source: './src/index.ts', types: './x.d.ts', import: './dist/index.js' } },
      }),
    );
    await writeFile(join(packageDir, 'dist', 'index.js'), moduleSource);
    const nested = join(scratch, 'app', 'deep');
    await mkdir(nested, { recursive: true });
    expect(resolvePackageEntry('@acme/store', nested)).toBe(`file://${packageDir}/dist/index.js`);
    expect(() => resolvePackageEntry('@acme/store/missing', nested)).toThrow(/does not export '.\/missing'/);
    const served = await startServeCli(
      ['@acme/store', '--socket-folder', join(scratch, 's2'), '--log-level', 'error'],
      {},
      nested,
    );
    expect(served.sockets[0]!.name).toBe('cli-store');
    await served.close();
    await writeFile(join(scratch, 'empty.mjs'), 'export const nothing = 1;');
    await expect(startServeCli(['./empty.mjs'], {}, scratch)).rejects.toThrow(/does not export `definitions`/);
    await expect(startServeCli([], {}, scratch)).rejects.toThrow(/at least one component package/);
  });

  it('the plugin CLI takes --socket or --socket-folder, not both, and validates --log-level', async () => {
    const definitions = [stateDefinition('plugin')];
    const path = join(scratch, 'p.sock');
    const served = await startPluginCli(definitions, ['--socket', path, '--log-level', 'error']);
    expect(served.sockets[0]!.path).toBe(path);
    await served.close();
    await expect(startPluginCli(definitions, ['--socket', path, '--socket-folder', scratch])).rejects.toThrow(
      /either --socket or --socket-folder/,
    );
    await expect(startPluginCli(definitions, ['--log-level', 'loud'])).rejects.toThrow(/--log-level must be one of/);
    await expect(startPluginCli(definitions, ['--bogus'])).rejects.toThrow(/bogus/);
  });
});
