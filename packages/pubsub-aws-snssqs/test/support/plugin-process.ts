/**
 * The `daprkit-pubsub-aws-snssqs` bin as a real child process. The bin runs `dist/`, so `tsc -b` brings it (and
 * what it imports) up to date first: a no-op when nothing changed.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type PluginProcess, startPluginProcess } from '@daprkit/component-sdk/testing';

export type { PluginProcess };

const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));
const REPO_ROOT = join(PACKAGE_DIR, '..', '..');
const BIN = join(PACKAGE_DIR, 'bin', 'daprkit-pubsub-aws-snssqs.js');

export function ensureBuilt(): void {
  try {
    execFileSync('npx', ['tsc', '-b', 'packages/pubsub-aws-snssqs'], { cwd: REPO_ROOT, stdio: 'pipe' });
  } catch (error) {
    const output = `${(error as { stdout?: Buffer }).stdout ?? ''}${(error as { stderr?: Buffer }).stderr ?? ''}`;
    throw new Error(`building packages/pubsub-aws-snssqs failed:\n${output}`);
  }
}

export function startPlugin(socketPath: string): Promise<PluginProcess> {
  return startPluginProcess(BIN, socketPath);
}
