import { mkdir, mkdtemp, readFile, realpath, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { goUnquote, isStdBase64, LocalStorageBinding } from '../src/index.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => Buffer.from(b ?? new Uint8Array()).toString();

let base: string; // a scratch directory holding the root and an "outside" sibling
let root: string;
let outside: string;
let binding: LocalStorageBinding;

beforeEach(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), 'dk-localstorage-')));
  root = join(base, 'root');
  outside = join(base, 'outside');
  await mkdir(outside);
  await writeFile(join(outside, 'secret.txt'), 'TOP SECRET');
  binding = new LocalStorageBinding();
  await binding.init({ rootPath: root });
});
afterEach(async () => binding.close?.());

const invoke = (operation: string, metadata: Record<string, string> = {}, data = '') =>
  binding.invoke({ operation, data: bytes(data), metadata });

describe('localstorage operations', () => {
  it('create/get/list/delete under rootPath, contrib response shapes', async () => {
    const created = await invoke('create', { fileName: 'a/b/c.json' }, '{"x":1}');
    expect(text(created.data)).toBe('{"fileName":"a/b/c.json"}');
    expect(await readFile(join(root, 'a/b/c.json'), 'utf8')).toBe('{"x":1}');
    expect(text((await invoke('get', { fileName: 'a/b/c.json' })).data)).toBe('{"x":1}');
    await invoke('create', { fileName: 'top.txt' }, 'plain text!');
    expect(JSON.parse(text((await invoke('list')).data))).toEqual([join(root, 'a/b/c.json'), join(root, 'top.txt')]);
    expect(JSON.parse(text((await invoke('list', { fileName: 'a' })).data))).toEqual([join(root, 'a/b/c.json')]);
    expect(await invoke('delete', { fileName: 'a/b/c.json' })).toEqual({});
    await expect(invoke('get', { fileName: 'a/b/c.json' })).rejects.toThrow(
      `file not found: ${join(root, 'a/b/c.json')}`,
    );
    await expect(invoke('delete', { fileName: 'a/b/c.json' })).rejects.toThrow('file not found');
    expect(text((await invoke('list', { fileName: 'a' })).data)).toBe('null');
    await expect(invoke('list', { fileName: 'top.txt' })).rejects.toThrow('is not a directory');
    await expect(invoke('rename')).rejects.toThrow('unsupported operation rename');
    await expect(invoke('get')).rejects.toThrow("get: request metadata 'fileName' is required");
  });

  it('create without fileName picks a UUID name and says so', async () => {
    const created = JSON.parse(text((await invoke('create', {}, 'data!')).data));
    expect(created.fileName).toMatch(/^[0-9a-f-]{36}$/);
    expect(await readFile(join(root, created.fileName), 'utf8')).toBe('data!');
  });

  it('unquotes Go string literals (what the HTTP API sends) and, by default, decodes base64 as contrib', async () => {
    await invoke('create', { fileName: 'quoted' }, '"hello \\"world\\"\\n"');
    expect(await readFile(join(root, 'quoted'), 'utf8')).toBe('hello "world"\n');
    await invoke('create', { fileName: 'b64' }, '"aGVsbG8="');
    expect(await readFile(join(root, 'b64'), 'utf8')).toBe('hello');
    // the quirk: text that happens to be base64 is decoded
    await invoke('create', { fileName: 'test' }, 'test');
    expect(await readFile(join(root, 'test'))).toEqual(Buffer.from('test', 'base64'));
  });

  it('decodeBase64 false keeps text; true requires base64 (component default, request override)', async () => {
    const plain = new LocalStorageBinding();
    await plain.init({ rootPath: root, decodeBase64: 'false' });
    await plain.invoke({ operation: 'create', data: bytes('"test"'), metadata: { fileName: 'kept' } });
    expect(await readFile(join(root, 'kept'), 'utf8')).toBe('test');
    await plain.invoke({
      operation: 'create',
      data: bytes('dGVzdA=='),
      metadata: { fileName: 'forced', decodeBase64: 'true' },
    });
    expect(await readFile(join(root, 'forced'), 'utf8')).toBe('test');
    await expect(
      plain.invoke({
        operation: 'create',
        data: bytes('not base64!'),
        metadata: { fileName: 'x', decodeBase64: 'true' },
      }),
    ).rejects.toThrow('data is not valid base64');
    await expect(
      plain.invoke({ operation: 'create', data: bytes('x'), metadata: { fileName: 'x', decodeBase64: 'maybe' } }),
    ).rejects.toThrow("request metadata 'decodeBase64'");
    await expect(new LocalStorageBinding().init({ rootPath: root, decodeBase64: 'sometimes' })).rejects.toThrow(
      "metadata 'decodeBase64'",
    );
  });
});

describe('no path escapes rootPath', () => {
  it('`..` stops at the root', async () => {
    const created = JSON.parse(
      text((await invoke('create', { fileName: '../../outside/secret.txt' }, 'overwrite?')).data),
    );
    expect(created.fileName).toBe('outside/secret.txt');
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('TOP SECRET');
    expect(await readFile(join(root, 'outside/secret.txt'), 'utf8')).toBe('overwrite?');
    await expect(invoke('get', { fileName: '../outside/secret.txt' })).resolves.toMatchObject({});
    expect(text((await invoke('get', { fileName: '../outside/secret.txt' })).data)).toBe('overwrite?');
    await expect(invoke('get', { fileName: 'a/../../../../etc/passwd' })).rejects.toThrow(
      `file not found: ${join(root, 'etc/passwd')}`,
    );
    const listed = JSON.parse(text((await invoke('list', { fileName: '../..' })).data)) as string[];
    for (const path of listed) expect(relative(root, path).startsWith('..')).toBe(false);
  });

  it('absolute names are taken relative to the root', async () => {
    await expect(invoke('get', { fileName: join(outside, 'secret.txt') })).rejects.toThrow('file not found');
    await invoke('create', { fileName: '/etc/daprkit-test' }, 'inside');
    expect(await readFile(join(root, 'etc/daprkit-test'), 'utf8')).toBe('inside');
    await expect(invoke('delete', { fileName: '/' })).rejects.toThrow('names rootPath itself');
  });

  it('symlinks are resolved with the root as /, never followed outside', async () => {
    await symlink(outside, join(root, 'to-outside')); // absolute target
    await symlink('../outside/secret.txt', join(root, 'relative-escape'));
    await symlink(join(outside, 'secret.txt'), join(root, 'file-link'));
    await expect(invoke('get', { fileName: 'to-outside/secret.txt' })).rejects.toThrow(
      `file not found: ${join(root, outside, 'secret.txt')}`,
    );
    await expect(invoke('get', { fileName: 'relative-escape' })).rejects.toThrow('file not found');
    await expect(invoke('get', { fileName: 'file-link' })).rejects.toThrow('file not found');
    await invoke('create', { fileName: 'file-link' }, 'written inside');
    await invoke('create', { fileName: 'to-outside/new.txt' }, 'written inside too');
    await invoke('delete', { fileName: 'relative-escape' }).catch(() => undefined);
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('TOP SECRET');
    await expect(readFile(join(outside, 'new.txt'))).rejects.toThrow();
    expect(await readFile(join(root, outside, 'secret.txt'), 'utf8')).toBe('written inside');
    // a symlink loop is an error, not a hang
    await symlink('loop-b', join(root, 'loop-a'));
    await symlink('loop-a', join(root, 'loop-b'));
    await expect(invoke('get', { fileName: 'loop-a' })).rejects.toThrow('too many symbolic links');
  });

  it('rootPath: relative to the working directory, created at init, system locations refused', async () => {
    const nested = new LocalStorageBinding();
    await nested.init({ rootPath: join(base, 'x', '..', 'made', 'here') });
    await nested.invoke({ operation: 'create', data: bytes('"ok"'), metadata: { fileName: 'f' } });
    expect(await readFile(join(base, 'made/here/f'), 'utf8')).toBe('ok');
    for (const bad of ['/proc', '/sys/kernel', '/boot', '/var/run/secrets/kubernetes.io']) {
      await expect(new LocalStorageBinding().init({ rootPath: bad })).rejects.toThrow(
        "metadata 'rootPath': property rootPath points to a disallowed location",
      );
    }
    await expect(new LocalStorageBinding().init({})).rejects.toThrow("metadata 'rootPath': is required");
    await writeFile(join(base, 'plainfile'), '');
    await expect(new LocalStorageBinding().init({ rootPath: join(base, 'plainfile') })).rejects.toThrow(
      "metadata 'rootPath'",
    );
  });
});

describe('Go literal and base64 rules', () => {
  it('unquotes like strconv.Unquote', () => {
    const u = (s: string) => {
      const r = goUnquote(bytes(s));
      return r === undefined ? undefined : Buffer.from(r).toString();
    };
    expect(u('"a\\tb\\u00e9\\x41\\101"')).toBe('a\tbéAA');
    expect(u('`raw\\n`')).toBe('raw\\n');
    expect(u("'x'")).toBe('x');
    expect(u("'xy'")).toBeUndefined();
    expect(u('"unterminated')).toBeUndefined();
    expect(u('"a"b"')).toBeUndefined();
    expect(u('"bad \\q"')).toBeUndefined();
    expect(u('plain')).toBeUndefined();
  });
  it('accepts padded standard base64 only', () => {
    expect(isStdBase64('dGVzdA==')).toBe(true);
    expect(isStdBase64('test')).toBe(true);
    expect(isStdBase64('dGVzdA')).toBe(false);
    expect(isStdBase64('a-b_')).toBe(false);
    expect(isStdBase64('hello world')).toBe(false);
  });
});

// Issue 21 item 1: Init may come from any local user who can reach the socket; its answer must not tell an
// existing file from a path under a file, so rootPath cannot probe the file system.
describe('rootPath init errors', () => {
  it('answer alike for a file and a path below a file, with the reason only in the debug log', async () => {
    const dir = await realpath(await mkdtemp(join(tmpdir(), 'dk-localstorage-init-')));
    await writeFile(join(dir, 'plain'), 'x');
    const reasons: string[] = [];
    const logger = {
      debug: (_m: string, f?: Record<string, unknown>) => void reasons.push(String(f?.reason)),
      info() {},
      warn() {},
      error() {},
    };
    const messages = new Set<string>();
    for (const rootPath of [join(dir, 'plain'), join(dir, 'plain', 'below')]) {
      const error = await new LocalStorageBinding(logger).init({ rootPath }).catch((e: unknown) => e as Error);
      messages.add(String(error?.message));
    }
    expect([...messages]).toEqual([
      "metadata 'rootPath': must name a directory this process can create or use (the reason is logged at debug level)",
    ]);
    expect(reasons).toEqual([
      expect.stringMatching(/^cannot be created: EEXIST$|^not a directory$/),
      expect.stringMatching(/ENOTDIR$/),
    ]);
  });
});
