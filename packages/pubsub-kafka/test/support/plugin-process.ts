/**
 * The `daprkit-pubsub-kafka` bin as a real child process. The bin runs `dist/`, so `tsc -b` brings it (and
 * the component-sdk build it imports) up to date first: a no-op when nothing changed.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));
const REPO_ROOT = join(PACKAGE_DIR, '..', '..');
const BIN = join(PACKAGE_DIR, 'bin', 'daprkit-pubsub-kafka.js');

export function ensureBuilt(): void {
  try {
    execFileSync('npx', ['tsc', '-b', 'packages/pubsub-kafka'], { cwd: REPO_ROOT, stdio: 'pipe' });
  } catch (error) {
    const output = `${(error as { stdout?: Buffer }).stdout ?? ''}${(error as { stderr?: Buffer }).stderr ?? ''}`;
    throw new Error(`building packages/pubsub-kafka failed (run \`npx tsc -b packages/pubsub-kafka\`):\n${output}`);
  }
}

export interface PluginProcess {
  child: ChildProcess;
  logs(): string;
  /** SIGKILL: a crash, no graceful shutdown. Resolves once the process is gone. */
  kill(): Promise<void>;
}

/** Whether something accepts connections on the unix socket (the file can exist a moment before). */
function accepting(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** Starts the bin on `socketPath` and resolves once it accepts connections. */
export async function startPlugin(socketPath: string): Promise<PluginProcess> {
  rmSync(socketPath, { force: true }); // a stale file from a killed predecessor would look like readiness
  const child = spawn(process.execPath, [BIN, '--socket', socketPath, '--log-level', 'warn'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const plugin: PluginProcess = {
    child,
    logs: () => stderr,
    kill: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
  const deadline = Date.now() + 15_000;
  while (!existsSync(socketPath) || !(await accepting(socketPath))) {
    if (child.exitCode !== null) throw new Error(`plugin exited with ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) {
      await plugin.kill();
      throw new Error(`plugin did not create ${socketPath} within 15 s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return plugin;
}
