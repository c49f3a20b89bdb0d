import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import {
  DaprkitError,
  ErrorCode,
  FailedPreconditionError,
  InvalidMetadataError,
  type Logger,
  NotFoundError,
  UnavailableError,
} from '@daprkit/component-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definitions, KeyVaultSecretStore, VERSION } from '../src/index.js';
import {
  adminClient,
  caPem,
  certificateProperties,
  describeWithKeyVault,
  KEYVAULT,
  keyVaultProperties,
  openStore,
} from './support/keyvault.js';

/**
 * Fixed names: the vault lives as long as the service and every run adds versions, not secrets, so bulk
 * stays as fast on the hundredth run as on the first. Only this file writes them.
 */
const run = 'kvtest';

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (message: string, fields?: Record<string, unknown>) =>
    void lines.push(`${message} ${JSON.stringify(fields ?? {})}`);
  return { lines, debug: record, info: record, warn: record, error: record };
}

async function initError(properties: Record<string, string>, options = { extraCaCertificates: caPem }) {
  return new KeyVaultSecretStore(options).init(properties).then(
    () => expect.unreachable('init should fail'),
    (e: unknown) => e as Error,
  );
}

describeWithKeyVault('KeyVaultSecretStore against the Key Vault server', () => {
  const admin = adminClient();
  let store: KeyVaultSecretStore;
  let firstVersion: string;

  beforeAll(async () => {
    firstVersion = (await admin.setSecret(`${run}-db`, 'v1')).properties.version!;
    await admin.setSecret(`${run}-db`, 'v2');
    await admin.setSecret(`${run}-off`, 'disabled-value');
    const off = await admin.getSecret(`${run}-off`);
    await admin.updateSecretProperties(`${run}-off`, off.properties.version!, { enabled: false });
    // More than one page (Key Vault pages hold 25), so bulk has to follow nextLink.
    await Promise.all(Array.from({ length: 30 }, (_, i) => admin.setSecret(`${run}-many-${i}`, `value-${i}`)));
    store = await openStore();
  });

  it('gets the latest version as {name: value}', async () => {
    expect(await store.getSecret({ name: `${run}-db`, metadata: {} })).toEqual({ [`${run}-db`]: 'v2' });
  });

  it('gets an older version with version_id', async () => {
    expect(await store.getSecret({ name: `${run}-db`, metadata: { version_id: firstVersion } })).toEqual({
      [`${run}-db`]: 'v1',
    });
    const error = await store
      .getSecret({ name: `${run}-db`, metadata: { version_id: 'f'.repeat(32) } })
      .catch((e: Error) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toBe(`secret ${run}-db version ${'f'.repeat(32)} not found`);
  });

  it('fails a missing secret with NotFoundError; names Key Vault cannot hold fail the same way without a request', async () => {
    await expect(store.getSecret({ name: `${run}-absent`, metadata: {} })).rejects.toThrow(
      new NotFoundError(`secret ${run}-absent not found`),
    );
    await expect(store.getSecret({ name: 'a/../b', metadata: {} })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses a disabled secret with PermissionDenied, as Key Vault answers 403', async () => {
    const error = await store.getSecret({ name: `${run}-off`, metadata: {} }).catch((e: unknown) => e);
    expect(DaprkitError.isInstance(error) && error.code).toBe(ErrorCode.PermissionDenied);
    expect((error as Error).message).not.toContain('disabled-value');
  });

  it('bulk-gets every enabled secret (latest version) across pages, as name → {name: value}', async () => {
    const all = await store.bulkGetSecret({ metadata: {} });
    expect(all[`${run}-db`]).toEqual({ [`${run}-db`]: 'v2' });
    expect(all[`${run}-off`]).toBeUndefined();
    for (let i = 0; i < 30; i++) expect(all[`${run}-many-${i}`]).toEqual({ [`${run}-many-${i}`]: `value-${i}` });
  });

  it('caps bulk at maxresults exactly, also across a page boundary', async () => {
    expect(Object.keys(await store.bulkGetSecret({ metadata: { maxresults: '3' } }))).toHaveLength(3);
    expect(Object.keys(await store.bulkGetSecret({ metadata: { maxresults: '27' } }))).toHaveLength(27);
    await expect(store.bulkGetSecret({ metadata: { maxresults: '0' } })).rejects.toThrow(/metadata 'maxresults'/);
  });

  it('authenticates with a certificate (spnCertificateFile) as well', async () => {
    const viaCertificate = new KeyVaultSecretStore({ extraCaCertificates: caPem });
    await viaCertificate.init(certificateProperties());
    expect(await viaCertificate.getSecret({ name: `${run}-db`, metadata: {} })).toEqual({ [`${run}-db`]: 'v2' });
    const pem = readFileSync(KEYVAULT.clientCertFile, 'utf8');
    await viaCertificate.init({ ...certificateProperties({ spnCertificateFile: '' }), azureCertificate: pem });
  });

  it('logs the vault, never a secret value', async () => {
    const logger = recordingLogger();
    const logged = new KeyVaultSecretStore({ logger, extraCaCertificates: caPem });
    await logged.init(keyVaultProperties());
    await logged.getSecret({ name: `${run}-db`, metadata: {} });
    await logged.bulkGetSecret({ metadata: {} });
    expect(logger.lines.join('\n')).toContain(KEYVAULT.uri);
    expect(logger.lines.join('\n')).not.toMatch(new RegExp(`v2|value-|${KEYVAULT.clientSecret}`));
  });

  it('fails init on wrong credentials, naming the fields and never echoing the secret', async () => {
    const error = await initError(keyVaultProperties({ azureClientSecret: 'not-the-secret-42' }));
    expect(error).toBeInstanceOf(InvalidMetadataError);
    expect(error.message).toMatch(
      /^metadata 'azureTenantId\/azureClientId\/azureClientSecret': authentication failed: .*AADSTS7000215/,
    );
    expect(error.message).not.toContain('not-the-secret-42');
    const unknownClient = await initError(keyVaultProperties({ azureClientId: 'someone-else' }));
    expect(unknownClient.message).toMatch(/AADSTS700016/);
  });

  it('fails init when the vault certificate is not trusted, naming vaultUri', async () => {
    const error = await initError(keyVaultProperties(), { extraCaCertificates: undefined });
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toMatch(/^metadata 'vaultUri': https:\/\/.*certificate/);
  });

  it('keeps challenge resource verification on unless disabled (the server answers for vault.azure.net)', async () => {
    const error = await initError(keyVaultProperties({ disableChallengeResourceVerification: 'false' }));
    expect(error.message).toMatch(/challenge resource 'vault.azure.net' does not match/);
  });

  it('rejects calls after close, and close is idempotent', async () => {
    const closing = await openStore();
    await closing.close();
    await closing.close();
    await expect(closing.getSecret({ name: `${run}-db`, metadata: {} })).rejects.toBeInstanceOf(
      FailedPreconditionError,
    );
  });
});

describe('KeyVaultSecretStore init without a vault', () => {
  let silent: Server;
  let silentPort: number;
  const accepted: Socket[] = [];
  beforeAll(async () => {
    // Accepts TCP and never answers: the TLS handshake hangs.
    silent = createServer((socket) => void accepted.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(() => {
    for (const socket of accepted) socket.destroy();
    return new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('fails at once on a refused connection, naming vaultUri', async () => {
    const started = Date.now();
    const error = await initError(keyVaultProperties({ vaultUri: 'https://127.0.0.1:1' }));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toBe("metadata 'vaultUri': https://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1");
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('gives up on a silent endpoint within 5 s', async () => {
    const started = Date.now();
    const error = await initError(keyVaultProperties({ vaultUri: `https://127.0.0.1:${silentPort}` }));
    expect(error.message).toBe(`metadata 'vaultUri': no answer from https://127.0.0.1:${silentPort} within 4500 ms`);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('rejects a PKCS#12 certificate before any I/O, naming the field', async () => {
    const error = await initError({
      ...certificateProperties({ spnCertificateFile: '' }),
      azureCertificate: 'MIIKpQIBAzCCCm8G',
    });
    expect(error.message).toMatch(/^metadata 'azureCertificate': must be PEM/);
    expect(error.message).not.toContain('MIIKpQIBAzCCCm8G');
  });

  it('declares no features, the upstream type, and keeps VERSION in step with package.json', () => {
    expect(new KeyVaultSecretStore().features()).toEqual([]);
    expect(definitions[0]).toMatchObject({
      socketName: 'daprkit-azure-keyvault',
      types: ['secretstores.azure.keyvault'],
    });
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(VERSION).toBe(pkg.version);
  });
});
