/**
 * The `daprkit-pubsub-redis` bin as a real child process. The bin runs `dist/`, so it is built first when
 * missing or older than the sources it is made of (this package, redis-common, component-sdk).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));
const PACKAGES_DIR = join(PACKAGE_DIR, '..');
const REPO_ROOT = join(PACKAGES_DIR, '..');
const BIN = join(PACKAGE_DIR, 'bin', 'daprkit-pubsub-redis.js');
const BUILT_FROM = ['pubsub-redis', 'redis-common', 'component-sdk'];

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** `tsc -b packages/pubsub-redis` when needed; one build at a time (test files run in parallel). */
export async function ensureBuilt(): Promise<void> {
  const lock = join(PACKAGE_DIR, '.test-build.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}; remove it if no test run is active`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    const stale = await Promise.all(
      BUILT_FROM.map(async (name) => {
        const built = join(PACKAGES_DIR, name, 'dist', 'index.js');
        return !existsSync(built) || statSync(built).mtimeMs < (await newestMtime(join(PACKAGES_DIR, name, 'src')));
      }),
    );
    if (!stale.includes(true)) return;
    try {
      execFileSync('npx', ['tsc', '-b', 'packages/pubsub-redis'], { cwd: REPO_ROOT, stdio: 'pipe' });
    } catch (error) {
      const output = `${(error as { stdout?: Buffer }).stdout ?? ''}${(error as { stderr?: Buffer }).stderr ?? ''}`;
      throw new Error(`building packages/pubsub-redis failed (run \`npx tsc -b packages/pubsub-redis\`):\n${output}`);
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface PluginProcess {
  child: ChildProcess;
  /** stderr so far (the plugin logs there). */
  logs(): string;
  /** SIGKILL: a crash, no graceful shutdown. Resolves once the process is gone. */
  kill(): Promise<void>;
}

/** Starts the bin on `socketPath` and resolves once the socket file exists. */
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
  while (!existsSync(socketPath)) {
    if (child.exitCode !== null) throw new Error(`plugin exited with ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) {
      await plugin.kill();
      throw new Error(`plugin did not create ${socketPath} within 15 s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return plugin;
}
