import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidMetadataError, NotFoundError, SecretStoreFeature, silentLogger } from '@daprkit/component-sdk';
import { describe, expect, it } from 'vitest';
import { createFileSecretStore, definitions, FileSecretStore, VERSION } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'daprkit-local-file-test-'));
let files = 0;
function secretsFile(content: unknown): string {
  const path = join(dir, `secrets-${files++}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const NESTED = {
  redis: { password: 'r3d1s', port: 6379, tls: true },
  hosts: ['a.example', 'b.example'],
  token: 't0k3n',
  nothing: null,
};

async function openStore(content: unknown, extra: Record<string, string> = {}) {
  const store = createFileSecretStore();
  await store.init({ secretsFile: secretsFile(content), ...extra });
  return store;
}

describe('FileSecretStore, default (flattened) mode', () => {
  it('flattens nested keys and array indexes with ":" and stringifies scalars as JSON', async () => {
    const store = await openStore(NESTED);
    expect(await store.bulkGetSecret({ metadata: {} })).toEqual({
      'redis:password': { 'redis:password': 'r3d1s' },
      'redis:port': { 'redis:port': '6379' },
      'redis:tls': { 'redis:tls': 'true' },
      'hosts:0': { 'hosts:0': 'a.example' },
      'hosts:1': { 'hosts:1': 'b.example' },
      token: { token: 't0k3n' },
      nothing: { nothing: 'null' },
    });
    expect(await store.getSecret({ name: 'redis:password', metadata: {} })).toEqual({ 'redis:password': 'r3d1s' });
    expect(store.features()).toEqual([]);
  });

  it('uses nestedSeparator', async () => {
    const store = await openStore(NESTED, { nestedSeparator: '.' });
    expect(await store.getSecret({ name: 'redis.password', metadata: {} })).toEqual({ 'redis.password': 'r3d1s' });
    await expect(store.getSecret({ name: 'redis:password', metadata: {} })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('fails a missing secret with NotFoundError, as contrib', async () => {
    const store = await openStore(NESTED);
    await expect(store.getSecret({ name: 'redis', metadata: {} })).rejects.toThrow(
      new NotFoundError('secret redis not found'),
    );
  });

  it('reads the file once, at init', async () => {
    const path = secretsFile({ a: 'before' });
    const store = createFileSecretStore();
    await store.init({ secretsFile: path });
    writeFileSync(path, JSON.stringify({ a: 'after' }));
    expect(await store.getSecret({ name: 'a', metadata: {} })).toEqual({ a: 'before' });
  });

  it('hands out copies: a caller editing a result does not change the store', async () => {
    const store = await openStore({ a: 'x' });
    (await store.getSecret({ name: 'a', metadata: {} })).a = 'changed';
    expect(await store.getSecret({ name: 'a', metadata: {} })).toEqual({ a: 'x' });
  });
});

describe('FileSecretStore, multiValued', () => {
  it('makes each top-level key a secret; objects become their flattened pairs', async () => {
    const store = await openStore(NESTED, { multiValued: 'true' });
    expect(store.features()).toEqual([SecretStoreFeature.MultipleKeyValuesPerSecret]);
    expect(await store.getSecret({ name: 'redis', metadata: {} })).toEqual({
      password: 'r3d1s',
      port: '6379',
      tls: 'true',
    });
    expect(await store.getSecret({ name: 'token', metadata: {} })).toEqual({ token: 't0k3n' });
    expect(await store.getSecret({ name: 'hosts', metadata: {} })).toEqual({ '0': 'a.example', '1': 'b.example' });
    const all = await store.bulkGetSecret({ metadata: {} });
    expect(Object.keys(all).sort()).toEqual(['hosts', 'nothing', 'redis', 'token']);
  });

  it('flattens deeper levels inside a secret with the separator', async () => {
    const store = await openStore({ db: { primary: { user: 'u' } } }, { multiValued: 'yes', nestedSeparator: '/' });
    expect(await store.getSecret({ name: 'db', metadata: {} })).toEqual({ 'primary/user': 'u' });
  });
});

describe('FileSecretStore init errors name the field and never echo file content', () => {
  it('requires secretsFile', async () => {
    await expect(createFileSecretStore().init({})).rejects.toThrow("metadata 'secretsFile': is required");
  });

  // Issue 21 item 1: Init may come from any local user who can reach the socket, so the answer must not tell a
  // missing file from an unreadable, non-JSON or wrongly shaped one (that would probe the file system).
  it('answers every unusable file alike, naming only the field; the reason goes to the debug log', async () => {
    const cases = [
      join(dir, 'absent.json'),
      dir, // a directory: EISDIR
      secretsFile('{"password": hunter2}'),
      secretsFile(['a']),
      secretsFile({ 'a:b': '1', a: { b: '2' } }),
    ];
    const messages = new Set<string>();
    const reasons: string[] = [];
    const logger = {
      ...silentLogger,
      debug: (_m: string, f?: Record<string, unknown>) => reasons.push(String(f?.reason)),
    };
    for (const secretsFile of cases) {
      const error = await new FileSecretStore(logger).init({ secretsFile }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidMetadataError);
      messages.add((error as Error).message);
    }
    expect([...messages]).toEqual([
      "metadata 'secretsFile': must name a readable JSON file whose top level is an object (the reason is logged at debug level)",
    ]);
    expect(reasons).toEqual([
      'cannot read: ENOENT',
      'cannot read: EISDIR',
      expect.stringMatching(/^not valid JSON/),
      'the top level must be a JSON object',
      expect.stringContaining("secret name 'a:b' occurs twice after flattening"),
    ]);
    expect(reasons.join(' ')).not.toContain('hunter2');
  });

  it('rejects a malformed multiValued flag', async () => {
    await expect(createFileSecretStore().init({ secretsFile: secretsFile({}), multiValued: 'maybe' })).rejects.toThrow(
      /metadata 'multiValued'/,
    );
  });
});

describe('package', () => {
  it('declares the upstream type and keeps VERSION in step with package.json', () => {
    expect(definitions[0]).toMatchObject({
      kind: 'secretStore',
      socketName: 'daprkit-local-file',
      types: ['secretstores.local.file'],
    });
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(VERSION).toBe(pkg.version);
  });
});
