// h2spec (github.com/summerwind/h2spec, built by scripts/h2spec.sh) against the daprkit engine in the server
// role, over TCP on 127.0.0.1 (the engine is the same one that serves the unix sockets). Every case must pass,
// strict ones included; there is no skip list.
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defineComponent, type StateStore, silentLogger } from '@daprkit/component-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SocketServer } from '../src/server/socket-server.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The h2spec binary, built on first use; undefined (with the reason logged) when Go is missing outside CI. */
function h2specBinary(): string | undefined {
  const result = spawnSync('bash', [`${REPO_ROOT}scripts/h2spec.sh`], { encoding: 'utf8' });
  if (result.status === 0) return result.stdout.trim();
  const reason = `h2spec unavailable: ${result.stderr.trim().split('\n').at(-1)}`;
  if (process.env.CI === 'true') throw new Error(reason);
  console.warn(`skipping: ${reason}`);
  return undefined;
}

const binary = h2specBinary();

const store = (): StateStore => ({
  async init() {},
  features: () => [],
  async get() {
    return {};
  },
  async set() {},
  async delete() {},
});

describe.skipIf(binary === undefined)('h2spec, server role', () => {
  let server: SocketServer;
  let port: number;
  beforeAll(async () => {
    const definition = defineComponent({
      kind: 'state',
      socketName: 'h2spec',
      packageName: 'h2spec-test',
      version: '0.0.0',
      types: [],
      create: store,
    });
    server = await SocketServer.start('h2spec', [definition], {
      folder: '/tmp',
      path: '/tmp/h2spec-unused.sock',
      socketMode: 0o600,
      maxMessageBytes: 64 * 1024 * 1024,
      logger: silentLogger,
      transport: 'daprkit',
      tcpPort: 0,
    });
    port = server.info.tcpPort!;
  });
  afterAll(() => server?.close(1000));

  it('passes every case, strict ones included', async () => {
    const output = await new Promise<string>((resolve) =>
      execFile(
        binary!,
        ['--strict', '-h', '127.0.0.1', '-p', String(port), '-o', '5'],
        { timeout: 120_000 },
        (_e, out, err) => resolve(`${out}${err}`),
      ),
    );
    const summary = /(\d+) tests, (\d+) passed, (\d+) skipped, (\d+) failed/.exec(output);
    const failures = output
      .split('\n')
      .filter((line) => line.includes('×'))
      .join('\n');
    expect(summary, output.slice(-2000)).not.toBeNull();
    expect(failures, failures).toBe('');
    const [, total, passed, skipped, failed] = summary!.map(Number);
    expect({ failed, skipped }).toEqual({ failed: 0, skipped: 0 });
    expect(passed).toBe(total);
    expect(total).toBeGreaterThanOrEqual(146);
  });
});
