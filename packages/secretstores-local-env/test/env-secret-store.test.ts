import { readFileSync } from 'node:fs';
import { ErrorCode, InvalidMetadataError, NotFoundError } from '@daprkit/component-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { createEnvSecretStore, definitions, VERSION } from '../src/index.js';

const touched = new Set<string>();
function setEnv(values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values)) {
    touched.add(name);
    process.env[name] = value;
  }
}
afterEach(() => {
  for (const name of touched) delete process.env[name];
  touched.clear();
});

async function openStore(properties: Record<string, string> = {}) {
  const store = createEnvSecretStore();
  await store.init(properties);
  return store;
}

describe('EnvSecretStore', () => {
  it('returns one variable as {name: value}, empty values included', async () => {
    setEnv({ DK_ENV_TEST_A: 'alpha', DK_ENV_TEST_EMPTY: '' });
    const store = await openStore();
    expect(await store.getSecret({ name: 'DK_ENV_TEST_A', metadata: {} })).toEqual({ DK_ENV_TEST_A: 'alpha' });
    expect(await store.getSecret({ name: 'DK_ENV_TEST_EMPTY', metadata: {} })).toEqual({ DK_ENV_TEST_EMPTY: '' });
  });

  it('reads the environment at call time, not at init', async () => {
    const store = await openStore();
    setEnv({ DK_ENV_TEST_LATE: 'late' });
    expect(await store.getSecret({ name: 'DK_ENV_TEST_LATE', metadata: {} })).toEqual({ DK_ENV_TEST_LATE: 'late' });
  });

  it('fails a missing variable with NotFoundError naming it (contrib returns "")', async () => {
    const store = await openStore({ prefix: 'DK_ENV_TEST_' });
    const error = await store.getSecret({ name: 'nothing', metadata: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).code).toBe(ErrorCode.NotFound);
    expect((error as Error).message).toBe(
      'secret nothing not found (environment variable DK_ENV_TEST_nothing is not set)',
    );
  });

  it('applies the prefix: looked up with it, returned without it, others left out of bulk', async () => {
    setEnv({ DK_ENV_TEST_user: 'u1', DK_ENV_TEST_pass: 'p1', DK_OTHER_user: 'x' });
    const store = await openStore({ PREFIX: 'DK_ENV_TEST_' }); // metadata names are case-insensitive
    expect(await store.getSecret({ name: 'user', metadata: {} })).toEqual({ user: 'u1' });
    const all = await store.bulkGetSecret({ metadata: {} });
    expect(all).toEqual({ user: { user: 'u1' }, pass: { pass: 'p1' } });
  });

  it('never exposes DAPR_* or APP_API_TOKEN, whatever their case', async () => {
    setEnv({
      DAPR_API_TOKEN: 'sidecar-token',
      APP_API_TOKEN: 'app-token',
      dapr_http_port: '3500',
      DK_ENV_TEST_OK: 'ok',
    });
    const store = await openStore();
    for (const name of ['DAPR_API_TOKEN', 'APP_API_TOKEN', 'app_api_token', 'dapr_http_port']) {
      const error = await store.getSecret({ name, metadata: {} }).catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(NotFoundError);
      expect((error as Error).message).not.toMatch(/sidecar-token|app-token/);
    }
    const all = await store.bulkGetSecret({ metadata: {} });
    expect(Object.keys(all).filter((n) => /^(dapr_|app_api_token$)/i.test(n))).toEqual([]);
    expect(all.DK_ENV_TEST_OK).toEqual({ DK_ENV_TEST_OK: 'ok' });
  });

  it('blocks reserved names reached through a prefix too', async () => {
    setEnv({ DAPR_SECRET: 'no' });
    const store = await openStore({ prefix: 'DAPR_' });
    await expect(store.getSecret({ name: 'SECRET', metadata: {} })).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.bulkGetSecret({ metadata: {} })).toEqual({});
  });

  it('rejects a property given twice with different casing, naming it', async () => {
    await expect(createEnvSecretStore().init({ prefix: 'A', Prefix: 'B' })).rejects.toBeInstanceOf(
      InvalidMetadataError,
    );
  });

  it('declares no features and the upstream type', () => {
    expect(createEnvSecretStore().features()).toEqual([]);
    expect(definitions[0]).toMatchObject({
      kind: 'secretStore',
      socketName: 'daprkit-local-env',
      types: ['secretstores.local.env'],
    });
  });

  it('keeps VERSION in step with package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(VERSION).toBe(pkg.version);
  });
});
