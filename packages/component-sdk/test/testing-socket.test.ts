// @daprkit/component-sdk/testing: waiting for a socket that accepts (not merely exists), and plugin bins as processes.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { startPluginProcess, waitForSocket } from '@daprkit/component-sdk/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let scratch: string;
const servers: Server[] = [];
beforeEach(async () => {
  scratch = await mkdtemp('/tmp/dk-wait-');
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  await rm(scratch, { recursive: true, force: true });
});

function listen(path: string): Promise<Server> {
  const server = createServer((socket) => socket.end());
  servers.push(server);
  return new Promise((resolve) => server.listen(path, () => resolve(server)));
}

describe('waitForSocket', () => {
  it('does not resolve while only a file exists at the path, then resolves once something accepts', async () => {
    const path = join(scratch, 'late.sock');
    await writeFile(path, ''); // what a socket file looks like to existsSync before the server accepts
    let settled = false;
    const waiting = waitForSocket(path, 5_000).finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(settled).toBe(false);
    await rm(path);
    await listen(path);
    await expect(waiting).resolves.toBeUndefined();
  });

  it('resolves at once for a socket that already accepts', async () => {
    const path = join(scratch, 'ready.sock');
    await listen(path);
    await expect(waitForSocket(path, 1_000)).resolves.toBeUndefined();
  });

  it('rejects after the timeout, naming the path and the last connect error', async () => {
    const path = join(scratch, 'never.sock');
    const started = Date.now();
    await expect(waitForSocket(path, 300)).rejects.toThrow(
      `nothing accepted a connection on ${path} within 300 ms (last attempt: ENOENT)`,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('rejects with the abort reason', async () => {
    const controller = new AbortController();
    const waiting = waitForSocket(join(scratch, 'aborted.sock'), 5_000, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('server process exited')), 50);
    await expect(waiting).rejects.toThrow('server process exited');
  });
});

describe('startPluginProcess', () => {
  /** A stand-in bin: creates its socket file first, accepts only after `delayMs` (the race the helper closes). */
  async function fakeBin(delayMs: number): Promise<string> {
    const bin = join(scratch, 'fake-plugin.mjs');
    await writeFile(
      bin,
      `import { writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
const path = process.argv[process.argv.indexOf('--socket') + 1];
writeFileSync(path, '');
setTimeout(() => {
  rmSync(path);
  createServer((socket) => socket.end()).listen(path);
}, ${delayMs});
`,
    );
    return bin;
  }

  it('resolves once the plugin accepts connections, and kill() ends it', async () => {
    const path = join(scratch, 'plugin.sock');
    const plugin = await startPluginProcess(await fakeBin(300), path);
    try {
      expect(plugin.socketPath).toBe(path);
      await expect(waitForSocket(path, 100)).resolves.toBeUndefined();
    } finally {
      await plugin.kill();
    }
    expect(plugin.child.signalCode).toBe('SIGKILL');
  });

  it('rejects with the exit code and stderr when the plugin exits before accepting', async () => {
    const bin = join(scratch, 'failing.mjs');
    await writeFile(bin, `console.error('bad metadata'); process.exit(3);\n`);
    await expect(startPluginProcess(bin, join(scratch, 'failing.sock'))).rejects.toThrow(
      /plugin exited with 3: bad metadata/,
    );
  });

  it('kills the plugin and rejects when it does not accept within the timeout', async () => {
    const path = join(scratch, 'slow.sock');
    await expect(startPluginProcess(await fakeBin(5_000), path, { timeoutMs: 300 })).rejects.toThrow(
      `did not accept connections on ${path} within 300 ms`,
    );
  });
});
