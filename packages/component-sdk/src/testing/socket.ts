/**
 * Readiness of a served unix socket, and a plugin bin run as a real child process. A socket file can exist a
 * moment before its server accepts connections (and a stale one may be left by a killed process), so readiness
 * means a connection was accepted, never that the file exists.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';

export interface WaitForSocketOptions {
  /** Stops waiting: the promise rejects with the signal's reason (e.g. "the server process exited"). */
  signal?: AbortSignal;
  /** Pause between attempts; default 25 ms. */
  intervalMs?: number;
}

/** Connects once: `undefined` when the connection was accepted, otherwise why not. */
function tryConnect(path: string, timeoutMs: number): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const finish = (error: Error | undefined) => {
      socket.destroy();
      resolve(error);
    };
    socket.setTimeout(Math.max(timeoutMs, 1), () => finish(new Error('connect timed out')));
    socket.once('connect', () => finish(undefined));
    socket.once('error', (error) => finish(error));
  });
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Resolves once something accepts a connection on the unix socket at `path` (`net.connect` succeeds), polling
 * until then. Rejects after `timeoutMs` with the last connect error, or with `options.signal`'s reason on abort.
 */
export async function waitForSocket(
  path: string,
  timeoutMs = 10_000,
  options: WaitForSocketOptions = {},
): Promise<void> {
  const { signal, intervalMs = 25 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    const error = await tryConnect(path, deadline - Date.now());
    if (error === undefined) return;
    signal?.throwIfAborted();
    if (Date.now() >= deadline) {
      const code = 'code' in error && typeof error.code === 'string' ? error.code : error.message;
      throw new Error(`nothing accepted a connection on ${path} within ${timeoutMs} ms (last attempt: ${code})`);
    }
    await pause(Math.min(intervalMs, Math.max(deadline - Date.now(), 0)), signal);
  }
}

export interface PluginProcess {
  child: ChildProcess;
  /** The socket it serves on. */
  socketPath: string;
  /** stderr so far (plugins log there). */
  logs(): string;
  /** SIGKILL: a crash, no graceful shutdown. Resolves once the process is gone. */
  kill(): Promise<void>;
}

export interface StartPluginOptions {
  /** Further arguments for the bin; default `['--log-level', 'warn']`. */
  args?: readonly string[];
  /** How long the plugin may take to accept connections; default 15 s. */
  timeoutMs?: number;
  /** Environment of the child; default this process's. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a plugin bin (one calling `runPluginCli`, e.g. `bin/daprkit-state-redis.js`) with Node as a child process
 * serving on `socketPath` (`--socket`), and resolves once the socket accepts connections. A stale file at
 * `socketPath` is removed first. Rejects, with the plugin's stderr, when it exits or times out (it is killed then).
 */
export async function startPluginProcess(
  binPath: string,
  socketPath: string,
  options: StartPluginOptions = {},
): Promise<PluginProcess> {
  const { args = ['--log-level', 'warn'], timeoutMs = 15_000, env } = options;
  rmSync(socketPath, { force: true });
  const child = spawn(process.execPath, [binPath, '--socket', socketPath, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(env ? { env } : {}),
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new AbortController();
  // 'close', not 'exit': by then stderr has been read to the end, so the error carries all of it.
  child.once('close', (code, signal) => exited.abort(new Error(`plugin exited with ${code ?? signal}: ${stderr}`)));
  child.once('error', (error) => exited.abort(new Error(`plugin could not start: ${error.message}`)));
  const plugin: PluginProcess = {
    child,
    socketPath,
    logs: () => stderr,
    kill: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
  try {
    await waitForSocket(socketPath, timeoutMs, { signal: exited.signal });
  } catch (err) {
    const exitedFirst = exited.signal.aborted; // before kill(), which makes the process exit too
    await plugin.kill();
    if (exitedFirst) throw err;
    throw new Error(`plugin ${binPath} did not accept connections on ${socketPath} within ${timeoutMs} ms: ${stderr}`);
  }
  return plugin;
}
