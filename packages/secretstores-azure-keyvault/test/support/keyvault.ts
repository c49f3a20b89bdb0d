/**
 * Test access to the Key Vault-compatible server (`bash scripts/services.sh up keyvault`). Settings come from
 * `services.sh env keyvault` (DAPRKIT_KEYVAULT_*), defaulting to what that script starts. Without the server
 * the suites are skipped with the reason in their name locally, and fail in CI (`CI=true`).
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { type ComponentDefinition, defineComponent, type Metadata } from '@daprkit/component-sdk';
import { describe, it } from 'vitest';
import { definitions, KeyVaultSecretStore } from '../../src/index.js';

const servicesDir = process.env.DAPRKIT_SERVICES_DIR ?? '/tmp/daprkit-services';
export const KEYVAULT = {
  uri: process.env.DAPRKIT_KEYVAULT_URI ?? 'https://127.0.0.1:8443',
  authorityHost: process.env.DAPRKIT_KEYVAULT_AUTHORITY_HOST ?? 'https://127.0.0.1:8443',
  caFile: process.env.DAPRKIT_KEYVAULT_CA_FILE ?? `${servicesDir}/keyvault/ca.pem`,
  tenantId: process.env.DAPRKIT_KEYVAULT_TENANT_ID ?? 'daprkit-tenant',
  clientId: process.env.DAPRKIT_KEYVAULT_CLIENT_ID ?? 'daprkit-client',
  clientSecret: process.env.DAPRKIT_KEYVAULT_CLIENT_SECRET ?? 'daprkit-client-secret',
  clientCertFile: process.env.DAPRKIT_KEYVAULT_CLIENT_CERT_FILE ?? `${servicesDir}/keyvault/client.pem`,
};

/** The emulator's CA (PEM), or undefined when the service was never started here. */
export const caPem: string | undefined = (() => {
  try {
    return readFileSync(KEYVAULT.caFile, 'utf8');
  } catch {
    return undefined;
  }
})();

/** Component metadata reaching the emulator with the client secret. */
export function keyVaultProperties(extra: Metadata = {}): Metadata {
  return {
    vaultUri: KEYVAULT.uri,
    azureAuthorityHost: KEYVAULT.authorityHost,
    azureTenantId: KEYVAULT.tenantId,
    azureClientId: KEYVAULT.clientId,
    azureClientSecret: KEYVAULT.clientSecret,
    disableChallengeResourceVerification: 'true',
    ...extra,
  };
}

/** The same vault through the certificate profile (`spn*` aliases, as upstream's conformance YAML). */
export function certificateProperties(extra: Metadata = {}): Metadata {
  const { azureClientSecret: _secret, ...rest } = keyVaultProperties();
  return { ...rest, spnCertificateFile: KEYVAULT.clientCertFile, ...extra };
}

/** The package's definition, trusting the emulator's CA (what NODE_EXTRA_CA_CERTS does for a whole process). */
export const trustingDefinition: ComponentDefinition = defineComponent({
  ...definitions[0]!,
  create: ({ logger }) => new KeyVaultSecretStore({ logger, extraCaCertificates: caPem }),
});

export function openStore(extra: Metadata = {}): Promise<KeyVaultSecretStore> {
  const store = new KeyVaultSecretStore({ extraCaCertificates: caPem });
  return store.init(keyVaultProperties(extra)).then(() => store);
}

/** A plain SDK client, used to provision what the tests read. */
export function adminClient(): SecretClient {
  const options = {
    tlsOptions: { ca: [...rootCertificates, caPem ?? ''] },
    authorityHost: KEYVAULT.authorityHost,
    disableInstanceDiscovery: true,
  };
  const credential = new ClientSecretCredential(KEYVAULT.tenantId, KEYVAULT.clientId, KEYVAULT.clientSecret, options);
  return new SecretClient(KEYVAULT.uri, credential, { ...options, disableChallengeResourceVerification: true });
}

/** Writes the conformance fixture (conftestsecret=abcd, secondsecret=efgh) with setSecret; throws when unreachable. */
export async function provisionFixture(fixture: Record<string, string>): Promise<void> {
  if (caPem === undefined) throw new Error(`no CA at ${KEYVAULT.caFile}`);
  const client = adminClient();
  for (const [name, value] of Object.entries(fixture)) await client.setSecret(name, value);
}

/** Why the server cannot be used, or undefined when it answered an authenticated request. */
export const keyVaultUnreachable: string | undefined = await provisionFixture({})
  .then(async () => {
    // An authenticated round trip, not just TCP: a wrong CA or credential also counts as unavailable.
    await adminClient()
      .getSecret('daprkit-probe')
      .catch((e: { statusCode?: number }) => {
        if (e.statusCode !== 404) throw e;
      });
    return undefined;
  })
  .catch((err: Error) => err.message || String(err));

/** `describe` for suites that need the Key Vault server. */
export function describeWithKeyVault(name: string, body: () => void): void {
  if (keyVaultUnreachable === undefined) describe(name, body);
  else if (process.env.CI === 'true') {
    describe(name, () => {
      it('has its backend', () => {
        throw new Error(`Key Vault unreachable at ${KEYVAULT.uri}: ${keyVaultUnreachable}; CI must provide it`);
      });
    });
  } else {
    describe.skip(
      `${name} [skipped: Key Vault unreachable at ${KEYVAULT.uri}: ${keyVaultUnreachable}; run bash scripts/services.sh up keyvault]`,
      body,
    );
  }
}
