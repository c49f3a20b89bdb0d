import { field, InvalidMetadataError, type Metadata, parseMetadata } from '@daprkit/component-sdk';

/** Azure clouds contrib knows: Key Vault DNS suffix and Entra ID authority host of each. */
const CLOUDS = {
  AzurePublicCloud: { vaultSuffix: 'vault.azure.net', authorityHost: 'https://login.microsoftonline.com' },
  AzureChinaCloud: { vaultSuffix: 'vault.azure.cn', authorityHost: 'https://login.chinacloudapi.cn' },
  AzureUSGovernmentCloud: { vaultSuffix: 'vault.usgovcloudapi.net', authorityHost: 'https://login.microsoftonline.us' },
} as const;
type CloudName = keyof typeof CLOUDS;
const CLOUD_NAMES = [
  'AzurePublicCloud',
  'AzureChinaCloud',
  'AzureUSGovernmentCloud',
] as const satisfies readonly CloudName[];

/**
 * Component metadata (YAML `spec.metadata`): contrib's names and aliases (Azure auth profile), plus three
 * daprkit extensions for emulators, private endpoints and sovereign clouds (`vaultUri`, `azureAuthorityHost`,
 * `disableChallengeResourceVerification`).
 */
export const keyVaultSecretStoreMetadataSchema = {
  vaultName: field.string({
    description:
      'Vault name, or its host name (`<name>.vault.azure.net`, `.vault.azure.cn`, `.vault.usgovcloudapi.net`, optionally with `https://`), which also selects the cloud.',
  }),
  vaultUri: field.string({
    description: 'Full vault URL (`https://host[:port]`); overrides vaultName. For emulators and private endpoints.',
  }),
  azureEnvironment: field.enum({
    values: CLOUD_NAMES,
    default: 'AzurePublicCloud',
    aliases: ['azureCloud'],
    description: 'Cloud: Key Vault DNS suffix and Entra ID authority host.',
  }),
  azureTenantId: field.string({
    aliases: ['spnTenantId', 'tenantId'],
    description: 'Entra ID tenant of the service principal.',
  }),
  azureClientId: field.string({
    aliases: ['spnClientId', 'clientId'],
    description:
      'Application (client) id; with neither secret nor certificate, the managed/workload identity client id.',
  }),
  azureClientSecret: field.string({
    aliases: ['spnClientSecret', 'clientSecret'],
    secret: true,
    description: 'Client secret of the service principal.',
  }),
  azureCertificate: field.string({
    aliases: ['spnCertificate'],
    secret: true,
    description: 'PEM text holding the certificate and its private key (PKCS#12 is not supported by @azure/identity).',
  }),
  azureCertificateFile: field.string({
    aliases: ['spnCertificateFile'],
    description: 'Path of a PEM file holding the certificate and its private key.',
  }),
  azureCertificatePassword: field.string({
    aliases: ['spnCertificatePassword'],
    secret: true,
    description: 'Passphrase of an encrypted PEM private key.',
  }),
  azureAuthorityHost: field.string({
    description: "Entra ID authority host (`https://...`) instead of the cloud's; also turns off instance discovery.",
  }),
  disableChallengeResourceVerification: field.bool({
    default: false,
    description: 'Accept a bearer challenge whose resource does not match the vault host. Emulators only.',
  }),
};

/** Per-request metadata of getSecret / bulkGetSecret (contrib's names). */
export const keyVaultRequestMetadataSchema = {
  version_id: field.string({ description: 'getSecret: the secret version to read instead of the latest.' }),
  maxresults: field.int({ min: 1, description: 'bulkGetSecret: return at most this many secrets.' }),
};

export type ServicePrincipal =
  | { kind: 'secret'; tenantId: string; clientId: string; clientSecret: string }
  | { kind: 'certificate'; tenantId: string; clientId: string; certificate: CertificateSource; password?: string }
  | { kind: 'ambient'; tenantId?: string; clientId?: string };

export type CertificateSource =
  | { field: 'azureCertificate'; pem: string }
  | { field: 'azureCertificateFile'; path: string };

export interface KeyVaultSettings {
  vaultUrl: string;
  /** The metadata field that produced vaultUrl, for error messages. */
  vaultField: 'vaultName' | 'vaultUri';
  authorityHost: string;
  customAuthorityHost: boolean;
  principal: ServicePrincipal;
  disableChallengeResourceVerification: boolean;
}

function httpsUrl(raw: string, name: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidMetadataError(name, `expected an https:// URL, got '${raw}'`);
  }
  if (url.protocol !== 'https:') throw new InvalidMetadataError(name, `must use https://, got '${raw}'`);
  return url;
}

/** contrib accepts a bare name or the vault's host name; a known suffix also picks the cloud. */
function vaultFromName(raw: string, configured: CloudName): { url: string; cloud: CloudName } {
  const host = raw
    .replace(/^https:\/\//i, '')
    .replace(/\/+$/, '')
    .toLowerCase();
  let name = host;
  let cloud = configured;
  for (const [candidate, { vaultSuffix }] of Object.entries(CLOUDS) as [CloudName, (typeof CLOUDS)[CloudName]][]) {
    if (host.endsWith(`.${vaultSuffix}`)) {
      name = host.slice(0, -(vaultSuffix.length + 1));
      cloud = candidate;
    }
  }
  if (!/^[a-z0-9-]+$/.test(name)) {
    throw new InvalidMetadataError('vaultName', `'${raw}' is not a Key Vault name (letters, digits and '-' only)`);
  }
  return { url: `https://${name}.${CLOUDS[cloud].vaultSuffix}`, cloud };
}

function servicePrincipalOf(
  m: ReturnType<typeof parseMetadata<typeof keyVaultSecretStoreMetadataSchema>>,
): ServicePrincipal {
  const certificate: CertificateSource | undefined =
    m.azureCertificate !== undefined
      ? { field: 'azureCertificate', pem: m.azureCertificate }
      : m.azureCertificateFile !== undefined
        ? { field: 'azureCertificateFile', path: m.azureCertificateFile }
        : undefined;
  if (m.azureClientSecret === undefined && certificate === undefined) {
    return { kind: 'ambient', tenantId: m.azureTenantId, clientId: m.azureClientId };
  }
  const credentialField = m.azureClientSecret !== undefined ? 'azureClientSecret' : certificate!.field;
  if (m.azureTenantId === undefined)
    throw new InvalidMetadataError('azureTenantId', `is required with ${credentialField}`);
  if (m.azureClientId === undefined)
    throw new InvalidMetadataError('azureClientId', `is required with ${credentialField}`);
  const identity = { tenantId: m.azureTenantId, clientId: m.azureClientId };
  if (m.azureClientSecret !== undefined) return { kind: 'secret', ...identity, clientSecret: m.azureClientSecret };
  return {
    kind: 'certificate',
    ...identity,
    certificate: certificate!,
    ...(m.azureCertificatePassword !== undefined && { password: m.azureCertificatePassword }),
  };
}

/** Validates component metadata; errors name the field and never echo secret values. */
export function parseKeyVaultSettings(properties: Metadata): KeyVaultSettings {
  const m = parseMetadata(properties, keyVaultSecretStoreMetadataSchema);
  let vaultUrl: string;
  // field.enum guarantees one of CLOUD_NAMES; its inferred type is only string.
  let cloud = m.azureEnvironment as CloudName;
  if (m.vaultUri !== undefined) {
    vaultUrl = httpsUrl(m.vaultUri, 'vaultUri').origin;
  } else if (m.vaultName !== undefined) {
    ({ url: vaultUrl, cloud } = vaultFromName(m.vaultName, cloud));
  } else {
    throw new InvalidMetadataError('vaultName', 'is required (or give vaultUri)');
  }
  const customAuthorityHost = m.azureAuthorityHost !== undefined;
  return {
    vaultUrl,
    vaultField: m.vaultUri !== undefined ? 'vaultUri' : 'vaultName',
    authorityHost: customAuthorityHost
      ? httpsUrl(m.azureAuthorityHost!, 'azureAuthorityHost').origin
      : CLOUDS[cloud].authorityHost,
    customAuthorityHost,
    principal: servicePrincipalOf(m),
    disableChallengeResourceVerification: m.disableChallengeResourceVerification,
  };
}
