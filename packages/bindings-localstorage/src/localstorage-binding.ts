import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import {
  errnoOf,
  FailedPreconditionError,
  InvalidArgumentError,
  InvalidMetadataError,
  type InvokeRequest,
  type InvokeResponse,
  type Logger,
  type Metadata,
  NotFoundError,
  type OutputBinding,
  silentLogger,
  unusablePathError,
} from '@daprkit/component-sdk';
import { goUnquote, isStdBase64 } from './go-unquote.js';
import { type LocalStorageSettings, parseDecodeBase64, parseLocalStorageSettings } from './metadata.js';
import { DisallowedRootError, resolveRootPath, secureJoin } from './secure-path.js';

export const LOCALSTORAGE_OPERATIONS = ['create', 'get', 'delete', 'list'] as const;

/** Go's json.Marshal escaping of `<`, `>`, `&` and the JS line separators, for byte-identical responses. */
function goJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const encoder = new TextEncoder();

/**
 * `bindings.localstorage`: files under `rootPath`. Every request path goes through a symlink-safe secure join,
 * so `..`, absolute names and symlinks can never reach outside the root.
 */
export class LocalStorageBinding implements OutputBinding {
  private settings: LocalStorageSettings | undefined;
  private root: string | undefined;
  private closed = false;

  constructor(private readonly logger: Logger = silentLogger) {}

  /** Nothing to release (no handles are kept open); later invocations fail. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
  }

  async init(properties: Metadata): Promise<void> {
    const settings = parseLocalStorageSettings(properties);
    // Init may come from any local user who can reach the socket: one answer for every failure below, so Init
    // cannot tell which paths exist or are directories.
    const requirement = 'must name a directory this process can create or use';
    let root: string;
    try {
      root = await resolveRootPath(settings.rootPath);
    } catch (err) {
      if (err instanceof DisallowedRootError) throw new InvalidMetadataError('rootPath', err.message);
      throw unusablePathError('rootPath', requirement, `cannot be resolved: ${errnoOf(err)}`, this.logger);
    }
    try {
      await mkdir(root, { recursive: true, mode: 0o777 });
    } catch (err) {
      throw unusablePathError('rootPath', requirement, `cannot be created: ${errnoOf(err)}`, this.logger);
    }
    const info = await stat(root).catch((err: unknown) => {
      throw unusablePathError('rootPath', requirement, `cannot be inspected: ${errnoOf(err)}`, this.logger);
    });
    if (!info.isDirectory()) throw unusablePathError('rootPath', requirement, 'not a directory', this.logger);
    this.settings = settings;
    this.root = root;
  }

  operations(): readonly string[] {
    return LOCALSTORAGE_OPERATIONS;
  }

  async invoke(request: InvokeRequest): Promise<InvokeResponse> {
    if (this.closed) throw new FailedPreconditionError('localstorage binding is closed');
    if (this.root === undefined || this.settings === undefined) {
      throw new FailedPreconditionError('localstorage binding is not initialised');
    }
    const metadata = request.metadata ?? {};
    switch (request.operation) {
      case 'create':
        return this.create(this.root, this.settings, request.data, metadata);
      case 'get':
        return this.get(this.root, metadata);
      case 'delete':
        return this.delete(this.root, metadata);
      case 'list':
        return this.list(this.root, metadata);
      default:
        throw new InvalidArgumentError(`unsupported operation ${request.operation}`);
    }
  }

  private async target(root: string, metadata: Metadata, operation: string): Promise<string> {
    const fileName = metadata.fileName;
    if (fileName === undefined || fileName === '') {
      throw new InvalidArgumentError(`${operation}: request metadata 'fileName' is required`);
    }
    return secureJoin(root, fileName);
  }

  private async create(
    root: string,
    settings: LocalStorageSettings,
    data: Uint8Array,
    metadata: Metadata,
  ): Promise<InvokeResponse> {
    const fileName = metadata.fileName ? metadata.fileName : randomUUID();
    const path = await secureJoin(root, fileName);
    if (path === root)
      throw new InvalidArgumentError(`create: request metadata 'fileName' '${fileName}' names rootPath itself`);
    let content = goUnquote(data) ?? data;
    const mode = parseDecodeBase64(metadata.decodeBase64, settings.decodeBase64);
    if (mode !== 'false') {
      const text = Buffer.from(content).toString('latin1');
      if (isStdBase64(text)) content = new Uint8Array(Buffer.from(text.replace(/[\r\n]/g, ''), 'base64'));
      else if (mode === 'true')
        throw new InvalidArgumentError('create: data is not valid base64 (decodeBase64 is true)');
    }
    await mkdir(dirname(path), { recursive: true, mode: 0o777 });
    // O_NOFOLLOW: a symlink swapped in after the secure join is refused, never followed.
    const handle = await open(
      path,
      constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
      0o666,
    );
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
    return { data: encoder.encode(goJson({ fileName: relative(root, path) })) };
  }

  private async get(root: string, metadata: Metadata): Promise<InvokeResponse> {
    const path = await this.target(root, metadata, 'get');
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`file not found: ${path}`);
      throw err;
    }
    try {
      return { data: new Uint8Array(await handle.readFile()) };
    } finally {
      await handle.close();
    }
  }

  private async delete(root: string, metadata: Metadata): Promise<InvokeResponse> {
    const path = await this.target(root, metadata, 'delete');
    if (path === root) throw new InvalidArgumentError("delete: request metadata 'fileName' names rootPath itself");
    let info: Awaited<ReturnType<typeof lstat>>;
    try {
      info = await lstat(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`file not found: ${path}`);
      throw err;
    }
    // Like Go's os.Remove: a file, or an empty directory.
    if (info.isDirectory()) await rmdir(path);
    else await rm(path);
    return {};
  }

  private async list(root: string, metadata: Metadata): Promise<InvokeResponse> {
    const dir = metadata.fileName ? await secureJoin(root, metadata.fileName) : root;
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await lstat(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`directory not found: ${dir}`);
      throw err;
    }
    if (!info.isDirectory()) throw new InvalidArgumentError(`list: ${dir} is not a directory`);
    const files: string[] = [];
    const walk = async (d: string): Promise<void> => {
      const entries = await readdir(d, { withFileTypes: true });
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        const full = join(d, entry.name);
        if (entry.isDirectory()) await walk(full);
        else files.push(full);
      }
    };
    await walk(dir);
    return { data: encoder.encode(files.length === 0 ? 'null' : goJson(files)) };
  }
}
