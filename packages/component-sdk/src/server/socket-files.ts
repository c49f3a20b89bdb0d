/** Socket folder resolution and socket-file hygiene (spec §1.1, §1.6). */
import { lstat, mkdir, stat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { platform } from 'node:os';

export const DEFAULT_SOCKET_FOLDER = '/tmp/dapr-components-sockets';
export const SOCKET_EXTENSION = '.sock';

/**
 * daprd reads the first; the Kubernetes injector sets the second (on daprd *and* the component containers);
 * the third is the Go SDK's fallback. Accepting all three lets one binary work wherever it is started.
 */
export const SOCKET_FOLDER_ENV_VARS = [
  'DAPR_COMPONENTS_SOCKETS_FOLDER',
  'DAPR_COMPONENT_SOCKETS_FOLDER',
  'DAPR_COMPONENT_SOCKET_FOLDER',
] as const;

/** Explicit folder, then the env vars in order (empty values skipped), then daprd's literal default (not `os.tmpdir()`). */
export function resolveSocketFolder(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return explicit;
  for (const name of SOCKET_FOLDER_ENV_VARS) {
    const value = env[name];
    if (value) return value;
  }
  return DEFAULT_SOCKET_FOLDER;
}

/** `sun_path` holds 108 bytes on Linux (104 on macOS) including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = platform() === 'darwin' ? 103 : 107;

export function checkSocketPathLength(path: string): void {
  const length = Buffer.byteLength(path);
  if (length > MAX_SOCKET_PATH_BYTES) {
    throw new Error(
      `socket path '${path}' is ${length} bytes; unix sockets allow at most ${MAX_SOCKET_PATH_BYTES}: use a shorter folder or name`,
    );
  }
}

/** True when something accepts connections on the unix socket at `path` (a live server, not a stale file). */
function socketAccepts(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const settle = (accepted: boolean) => {
      socket.destroy();
      resolve(accepted);
    };
    socket.once('connect', () => settle(true));
    socket.once('error', () => settle(false));
  });
}

/**
 * Creates the folder and removes a stale file at the path: a socket with no listener can stall daprd's
 * start-up in discovery, and binding over it fails with EADDRINUSE. A socket another process is still serving is
 * left alone: taking it over would silently cut that plugin off from daprd.
 */
export async function prepareSocketPath(folder: string, path: string): Promise<void> {
  checkSocketPathLength(path);
  await mkdir(folder, { recursive: true });
  let stats: Awaited<ReturnType<typeof lstat>>;
  try {
    stats = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (stats.isDirectory()) throw new Error(`cannot create socket '${path}': a directory is in the way`);
  if (stats.isSocket() && (await socketAccepts(path)))
    throw new Error(`socket '${path}' is already served by another process: stop it or choose another socket`);
  await unlink(path);
}

export async function removeSocketFile(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * Why a socket folder is unsafe, if it is: writable by every local user without the sticky bit (anyone can
 * replace the socket daprd connects to), or owned by another user (who can). Empty when it looks private.
 */
export async function socketFolderWarnings(folder: string): Promise<string[]> {
  const warnings: string[] = [];
  const stats = await stat(folder);
  if ((stats.mode & 0o002) !== 0 && (stats.mode & 0o1000) === 0) {
    warnings.push(`socket folder ${folder} is writable by every local user: any of them can replace the socket`);
  }
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid && stats.uid !== 0) {
    warnings.push(`socket folder ${folder} is owned by uid ${stats.uid}, not by this process (uid ${uid})`);
  }
  return warnings;
}
