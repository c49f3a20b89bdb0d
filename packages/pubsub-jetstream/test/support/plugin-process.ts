/**
 * The `daprkit-pubsub-jetstream` bin as a real child process. The bin runs `dist/`, so `tsc -b` brings it (and
 * the nats and component-sdk builds it imports) up to date first: a no-op when nothing changed.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type PluginProcess, startPluginProcess } from '@daprkit/component-sdk/testing';

export type { PluginProcess };

const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));
const REPO_ROOT = join(PACKAGE_DIR, '..', '..');
const BIN = join(PACKAGE_DIR, 'bin', 'daprkit-pubsub-jetstream.js');

/** `tsc -b packages/pubsub-jetstream` (only the kill test spawns the bin, so no cross-file build lock is needed). */
export function ensureBuilt(): void {
  try {
    execFileSync('npx', ['tsc', '-b', 'packages/pubsub-jetstream'], { cwd: REPO_ROOT, stdio: 'pipe' });
  } catch (error) {
    const output = `${(error as { stdout?: Buffer }).stdout ?? ''}${(error as { stderr?: Buffer }).stderr ?? ''}`;
    throw new Error(
      `building packages/pubsub-jetstream failed (run \`npx tsc -b packages/pubsub-jetstream\`):\n${output}`,
    );
  }
}

/** Starts the bin on `socketPath` and resolves once the socket accepts connections. */
export function startPlugin(socketPath: string): Promise<PluginProcess> {
  return startPluginProcess(BIN, socketPath);
}
