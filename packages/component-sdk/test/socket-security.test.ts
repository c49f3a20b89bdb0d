// Local security of plugin sockets (issue 21 item 1): other local users cannot connect by default, the mode is
// widened only on purpose, an unsafe socket folder is reported, and Init cannot grow instances without bound.
import { chmod, lstat, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineComponent, type Logger, type StateStore, silentLogger } from '@daprkit/component-sdk';
import { serve } from '@daprkit/component-sdk/server';
import { createTestClient } from '@daprkit/component-sdk/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startPluginCli } from '../src/server/cli.js';
import { MAX_INSTANCES_PER_KIND } from '../src/server/instances.js';

const definition = defineComponent({
  kind: 'state',
  socketName: 'secure',
  types: ['state.secure'],
  packageName: '@acme/state-secure',
  version: '1.0.0',
  create: (): StateStore => ({
    async init() {},
    features: () => [],
    async get() {
      return {};
    },
    async set() {},
    async delete() {},
  }),
});

let scratch: string;
beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'daprkit-secure-'));
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(scratch, { recursive: true, force: true });
});

const modeOf = async (path: string) => (await lstat(path)).mode & 0o777;

describe('socket permissions', () => {
  it('default 0660; DAPRKIT_SOCKET_MODE and --socket-mode widen or narrow it; a bad mode names its source', async () => {
    let served = await serve({ components: [definition], socketFolder: scratch, logger: silentLogger });
    expect(await modeOf(served.sockets[0]!.path)).toBe(0o660);
    await served.close();

    vi.stubEnv('DAPRKIT_SOCKET_MODE', '600');
    served = await serve({ components: [definition], socketFolder: scratch, logger: silentLogger });
    expect(await modeOf(served.sockets[0]!.path)).toBe(0o600);
    await served.close();

    served = await startPluginCli(
      [definition],
      ['--socket-folder', scratch, '--socket-mode', '0o666', '--log-level', 'error'],
    );
    expect(await modeOf(served.sockets[0]!.path)).toBe(0o666);
    await served.close();

    await expect(startPluginCli([definition], ['--socket-folder', scratch, '--socket-mode', '999'])).rejects.toThrow(
      /--socket-mode must be an octal mode/,
    );
    vi.stubEnv('DAPRKIT_SOCKET_MODE', 'rw');
    await expect(serve({ components: [definition], socketFolder: scratch, logger: silentLogger })).rejects.toThrow(
      /DAPRKIT_SOCKET_MODE must be an octal mode/,
    );
  });

  it('warns about a socket folder every local user may write to (no sticky bit), not about /tmp-like ones', async () => {
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (message) => warnings.push(message) };
    const open = join(scratch, 'open');
    await mkdir(open);
    await chmod(open, 0o777);
    let served = await serve({ components: [definition], socketFolder: open, logger });
    await served.close();
    expect(warnings.some((w) => w.includes('writable by every local user'))).toBe(true);

    warnings.length = 0;
    await chmod(open, 0o1777);
    served = await serve({ components: [definition], socketFolder: open, logger });
    await served.close();
    expect(warnings.filter((w) => w.includes('writable by every local user'))).toEqual([]);
  });
});

describe('instances per socket', () => {
  it(`refuses the ${MAX_INSTANCES_PER_KIND + 1}th distinct instance with RESOURCE_EXHAUSTED; re-Init of a known one works`, async () => {
    const served = await serve({ components: [definition], socketFolder: scratch, logger: silentLogger });
    const client = createTestClient(served.sockets[0]!.path);
    const initOnce = async (name: string) => {
      const store = client.state(name);
      try {
        await store.init({});
      } finally {
        await store.close();
      }
    };
    try {
      for (let i = 0; i < MAX_INSTANCES_PER_KIND; i += 50) {
        await Promise.all(Array.from({ length: 50 }, (_, j) => initOnce(`i${i + j}`)));
      }
      await expect(initOnce('one-too-many')).rejects.toThrow(/already holds 1000 state instances/);
      await initOnce('i0');
    } finally {
      await client.close();
      await served.close();
    }
  });
});
