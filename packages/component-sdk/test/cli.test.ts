// The plugin bins' user-facing surface: --help/-h and --version/-v print and exit 0, the help names the socket
// file and the YAML type to write, and --ready-file appears only once the socket accepts connections.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineComponent, type StateStore } from '@daprkit/component-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pluginUsage, startPluginCli } from '../src/server/cli.js';

const store = (): StateStore => ({
  async init() {},
  features: () => [],
  async get() {
    return {};
  },
  async set() {},
  async delete() {},
});
const definitions = [
  defineComponent({
    kind: 'state',
    socketName: 'daprkit-clitest',
    types: ['state.clitest'],
    packageName: '@acme/state-clitest',
    version: '1.2.3',
    create: store,
  }),
];

let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'daprkit-cli-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

describe('plugin bin', () => {
  it('help names every flag, the socket file it creates and the YAML types', () => {
    const text = pluginUsage(definitions);
    for (const flag of [
      '--socket PATH',
      '--socket-folder DIR',
      '--log-level',
      '--ready-file PATH',
      '-h, --help',
      '-v, --version',
    ])
      expect(text).toContain(flag);
    expect(text).toContain('npx @acme/state-clitest');
    expect(text).toMatch(/Creates: +\/.*daprkit-clitest\.sock/);
    expect(text).toContain('spec.type: state.daprkit-clitest');
    expect(text).toContain('spec.type: state.clitest');
  });

  it('-h and -v (aliases of --help/--version) print on stdout and exit 0; a bad flag exits 2 with the usage', () => {
    const bin = join(import.meta.dirname, '..', '..', 'state-memory', 'bin', 'daprkit-state-memory.js');
    const version = JSON.parse(readFileSync(join(bin, '..', '..', 'package.json'), 'utf8')).version as string;
    for (const flag of ['-h']) {
      const run = spawnSync(process.execPath, [bin, flag], { encoding: 'utf8' });
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('spec.type: state.daprkit-memory');
    }
    for (const flag of ['-v']) {
      const run = spawnSync(process.execPath, [bin, flag], { encoding: 'utf8' });
      expect(run.status).toBe(0);
      expect(run.stdout.trim()).toBe(version);
    }
    const bad = spawnSync(process.execPath, [bin, '--nope'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/nope[\s\S]*usage:/);
  });

  it('--ready-file is written once the socket accepts connections', async () => {
    const readyFile = join(scratch, 'ready.json');
    const served = await startPluginCli(definitions, [
      '--socket-folder',
      scratch,
      '--ready-file',
      readyFile,
      '--log-level',
      'error',
    ]);
    try {
      const ready = JSON.parse(readFileSync(readyFile, 'utf8'));
      expect(ready.pid).toBe(process.pid);
      expect(ready.sockets).toEqual([
        { path: join(scratch, 'daprkit-clitest.sock'), types: ['state.daprkit-clitest'] },
      ]);
      await new Promise<void>((resolve, reject) => {
        const socket = connect(ready.sockets[0].path, () => {
          socket.end();
          resolve();
        });
        socket.on('error', reject);
      });
    } finally {
      await served.close();
    }
  });
});
