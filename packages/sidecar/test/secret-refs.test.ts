/**
 * `secretKeyRef` through the catalog's real secret stores, loaded in process by the sidecar's registry:
 * `secretstores.local.file`, `secretstores.local.env` (the variable set on the sidecar process) and
 * `secretstores.azure.keyvault` (the Key Vault server of `scripts/services.sh`). Each one supplies the
 * `redisPassword` of a `state.redis` component pointing at a private redis-server that requires it, so a
 * working save/get proves the resolved value was used. Also: failures are confined to the component and never
 * print the secret, and secret scopes on the secrets API with real stores. (`bindings-secrets.test.ts` covers
 * resolution through a socket store, `deniedSecrets` and refusing to start.)
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, KEYVAULT, keyVaultUnreachable } from '../../secretstores-azure-keyvault/test/support/keyvault.js';
import { PrivateRedis, redisServerMissing } from '../../state-redis/test/support/private-server.js';
import { ensureSidecarBuilt, http, type SidecarProcess, startSidecarProcess, stopAllProcesses } from './support.js';

const PASSWORD = `pw-${process.pid}-${Date.now()}`;
const WRONG_PASSWORD = 'wrong-password-must-stay-hidden';
/** Key Vault is optional locally (skipped, with the reason), required in CI. */
const withVault = keyVaultUnreachable === undefined;

let redis: PrivateRedis;
let sidecar: SidecarProcess;
let firstVaultVersion: string;

function redisComponent(name: string, store: string, secret: string): string {
  return `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: state.redis
  version: v1
  ignoreErrors: true
  metadata:
    - name: redisHost
      value: ${redis.host}
    - name: redisPassword
      secretKeyRef:
        name: ${secret}
auth:
  secretStore: ${store}
`;
}

function vaultComponent(): string {
  const item = (name: string, value: string) => `    - name: ${name}\n      value: "${value}"`;
  return `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: vault
spec:
  type: secretstores.azure.keyvault
  version: v1
  metadata:
${[
  item('vaultUri', KEYVAULT.uri),
  item('azureAuthorityHost', KEYVAULT.authorityHost),
  item('azureTenantId', KEYVAULT.tenantId),
  item('azureClientId', KEYVAULT.clientId),
  item('azureClientSecret', KEYVAULT.clientSecret),
  item('disableChallengeResourceVerification', 'true'),
].join('\n')}
`;
}

const describeIf = redisServerMissing === undefined ? describe : describe.skip;

describeIf('secretKeyRef with the catalog secret stores', () => {
  beforeAll(async () => {
    await ensureSidecarBuilt([
      'packages/state-redis',
      'packages/secretstores-local-file',
      'packages/secretstores-local-env',
      'packages/secretstores-azure-keyvault',
    ]);
    redis = await PrivateRedis.start(PASSWORD);
    if (withVault) {
      const admin = adminClient();
      firstVaultVersion = (await admin.setSecret('sidecar-redis-password', 'an-older-value')).properties.version!;
      await admin.setSecret('sidecar-redis-password', PASSWORD);
    }
    const dir = await mkdtemp(join(tmpdir(), 'dk-secret-refs-'));
    const secretsFile = join(dir, 'secrets.json');
    await writeFile(
      secretsFile,
      JSON.stringify({ redis: { password: PASSWORD }, wrong: WRONG_PASSWORD, app: { token: 't0k3n' } }),
    );
    const documents = [
      `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: filestore
spec:
  type: secretstores.local.file
  version: v1
  metadata:
    - name: secretsFile
      value: ${secretsFile}
`,
      `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: envstore
spec:
  type: secretstores.local.env
  version: v1
  metadata:
    - name: prefix
      value: DKTEST_
`,
      redisComponent('from-file', 'filestore', 'redis:password'),
      redisComponent('from-env', 'envstore', 'REDIS_PASSWORD'),
      redisComponent('wrong-password', 'filestore', 'wrong'),
      redisComponent('missing-secret', 'filestore', 'redis:nothing'),
      redisComponent('missing-store', 'nostore', 'redis:password'),
      `apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: config
spec:
  secrets:
    scopes:
      - storeName: filestore
        defaultAccess: deny
        allowedSecrets: ["app:token"]
      - storeName: envstore
        defaultAccess: deny
`,
    ];
    if (withVault) documents.push(vaultComponent(), redisComponent('from-vault', 'vault', 'sidecar-redis-password'));
    await writeFile(join(dir, 'resources.yaml'), documents.join('---\n'));
    sidecar = await startSidecarProcess(['--app-id', 'secret-refs', '--resources-path', dir], {
      DKTEST_REDIS_PASSWORD: PASSWORD,
      // How a process trusts the Key Vault server's private CA.
      NODE_EXTRA_CA_CERTS: KEYVAULT.caFile,
    });
  }, 60_000);

  afterAll(async () => {
    await stopAllProcesses();
    await redis?.stop();
  });

  const roundTrip = async (store: string) => {
    const key = `k-${store}`;
    const saved = await http(
      sidecar.httpPort,
      'POST',
      `/v1.0/state/${store}`,
      JSON.stringify([{ key, value: { store } }]),
      {
        'content-type': 'application/json',
      },
    );
    expect(saved.status, saved.text).toBe(204);
    const read = await http(sidecar.httpPort, 'GET', `/v1.0/state/${store}/${key}`);
    expect(read.status).toBe(200);
    expect(read.json).toEqual({ store });
  };

  it('takes redisPassword from the file store: save and get work against the password-protected server', () =>
    roundTrip('from-file'));

  it('takes redisPassword from the env store (the variable is set on the sidecar process)', () =>
    roundTrip('from-env'));

  it.skipIf(!withVault)(
    `takes redisPassword from Key Vault${withVault ? '' : ` [skipped: ${keyVaultUnreachable}]`}`,
    () => roundTrip('from-vault'),
  );

  it('fails only the component whose secret is wrong, naming component and field', async () => {
    expect(sidecar.logs()).toMatch(
      /process component wrong-password error: \[INIT_COMPONENT_FAILURE\]: initialization error occurred for wrong-password \(state\.redis\/v1\): metadata 'redisPassword': /,
    );
    const state = await http(sidecar.httpPort, 'GET', '/v1.0/state/wrong-password/k');
    expect(state.status).toBe(400);
    expect(state.json.errorCode).toBe('ERR_STATE_STORE_NOT_FOUND');
  });

  it('fails a component whose secret or store is missing, naming component, field and store', () => {
    expect(sidecar.logs()).toContain(
      "process component missing-secret error: component 'missing-secret' metadata 'redisPassword': secret 'redis:nothing' from store 'filestore' failed: secret redis:nothing not found",
    );
    expect(sidecar.logs()).toContain(
      "process component missing-store error: component 'missing-store' metadata 'redisPassword': secretKeyRef 'redis:password' uses secret store 'nostore', which is not loaded",
    );
  });

  it('never prints a secret value', () => {
    expect(sidecar.logs()).not.toContain(PASSWORD);
    expect(sidecar.logs()).not.toContain(WRONG_PASSWORD);
  });

  it('applies allowedSecrets to the secrets API but not to secretKeyRef', async () => {
    const allowed = await http(sidecar.httpPort, 'GET', '/v1.0/secrets/filestore/app:token');
    expect(allowed.json).toEqual({ 'app:token': 't0k3n' });
    // from-file resolved redis:password, yet the API refuses it: scopes only guard the API.
    const refused = await http(sidecar.httpPort, 'GET', '/v1.0/secrets/filestore/redis:password');
    expect(refused.status).toBe(403);
    expect(refused.json).toEqual({
      errorCode: 'ERR_PERMISSION_DENIED',
      message: 'access denied by policy to get "redis:password" from "filestore"',
    });
    const bulk = await http(sidecar.httpPort, 'GET', '/v1.0/secrets/filestore/bulk');
    expect(bulk.json).toEqual({ 'app:token': { 'app:token': 't0k3n' } });
  });

  it('applies defaultAccess: deny to every secret of a store without allowedSecrets', async () => {
    expect((await http(sidecar.httpPort, 'GET', '/v1.0/secrets/envstore/REDIS_PASSWORD')).status).toBe(403);
    const bulk = await http(sidecar.httpPort, 'GET', '/v1.0/secrets/envstore/bulk');
    expect(bulk.status).toBe(200);
    expect(bulk.json).toEqual({});
  });

  it.skipIf(!withVault)(
    'serves Key Vault secrets, with metadata.version_id, when no scope restricts the store',
    async () => {
      const latest = await http(sidecar.httpPort, 'GET', '/v1.0/secrets/vault/sidecar-redis-password');
      expect(latest.json).toEqual({ 'sidecar-redis-password': PASSWORD });
      const older = await http(
        sidecar.httpPort,
        'GET',
        `/v1.0/secrets/vault/sidecar-redis-password?metadata.version_id=${firstVaultVersion}`,
      );
      expect(older.json).toEqual({ 'sidecar-redis-password': 'an-older-value' });
      const missing = await http(sidecar.httpPort, 'GET', '/v1.0/secrets/vault/no-such-secret');
      expect(missing.status).toBe(500);
      expect(missing.json.message).toBe(
        'failed getting secret with key no-such-secret from secret store vault: secret no-such-secret not found',
      );
    },
  );
});
