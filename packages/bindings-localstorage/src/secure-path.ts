import { lstat, readlink, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InvalidArgumentError } from '@daprkit/component-sdk';

const MAX_SYMLINKS = 255;
const DISALLOWED = ['/proc', '/sys', '/boot', '/var/run/secrets', '/run/secrets'];

/**
 * Resolves `rootPath` like contrib: cleaned, relative to the working directory, symlinks of its deepest existing
 * ancestor resolved; refuses system locations. The directory may not exist yet (init creates it).
 */
export async function resolveRootPath(rootPath: string, cwd = process.cwd()): Promise<string> {
  const cleaned = resolve(cwd, rootPath);
  let existing = cleaned;
  const rest: string[] = [];
  for (;;) {
    try {
      existing = await realpath(existing);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(existing) === existing) throw err;
      rest.unshift(existing.slice(dirname(existing).length).replace(/^\/+/, ''));
      existing = dirname(existing);
    }
  }
  const resolved = join(existing, ...rest);
  for (const bad of DISALLOWED) {
    if (resolved === bad || resolved.startsWith(`${bad}/`) || cleaned === bad || cleaned.startsWith(`${bad}/`)) {
      throw new DisallowedRootError();
    }
  }
  return resolved;
}

export class DisallowedRootError extends Error {
  constructor() {
    super('property rootPath points to a disallowed location');
  }
}

/**
 * Joins `unsafe` under `root` so that the result can never leave it: `..` stops at the root, an absolute name is
 * taken relative to the root, and every symlink met on the way is resolved with the root as `/` (the
 * filepath-securejoin rules contrib uses). Components that do not exist yet are appended as written.
 */
export async function secureJoin(root: string, unsafe: string): Promise<string> {
  if (unsafe.includes('\0')) throw new InvalidArgumentError("request metadata 'fileName' contains a NUL byte");
  const done: string[] = [];
  const todo = unsafe.split(/[/\\]+/);
  let links = 0;
  while (todo.length > 0) {
    const part = todo.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const candidate = join(root, ...done, part);
    let info: Awaited<ReturnType<typeof lstat>>;
    try {
      info = await lstat(candidate);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        done.push(part);
        continue;
      }
      throw err;
    }
    if (!info.isSymbolicLink()) {
      done.push(part);
      continue;
    }
    if (++links > MAX_SYMLINKS) {
      throw new InvalidArgumentError(`request metadata 'fileName': too many symbolic links in '${unsafe}'`);
    }
    const target = await readlink(candidate);
    if (isAbsolute(target)) done.length = 0;
    todo.unshift(...target.split(/[/\\]+/));
  }
  const joined = join(root, ...done);
  const rel = relative(root, joined);
  if (rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new InvalidArgumentError(`request metadata 'fileName': '${unsafe}' leaves rootPath`);
  }
  return joined;
}

/** Whether `path` is an existing directory. */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
