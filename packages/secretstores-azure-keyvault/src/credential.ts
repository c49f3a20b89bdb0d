import { readFile } from 'node:fs/promises';
import {
  ClientCertificateCredential,
  ClientSecretCredential,
  DefaultAzureCredential,
  type TokenCredential,
} from '@azure/identity';
import { errnoOf, InvalidMetadataError, unusablePathError } from '@daprkit/component-sdk';
import type { CertificateSource, KeyVaultSettings } from './metadata.js';

/** Transport options shared by the vault client and the credential (TLS trust, user agent). */
export interface AzureClientOptions {
  tlsOptions?: { ca: string[] };
  userAgentOptions: { userAgentPrefix: string };
}

/** @azure/identity reads PEM only; load it here so a bad file or a PKCS#12 blob fails init naming its field. */
const PEM_REQUIREMENT =
  'must be PEM holding both the certificate and its private key (convert PKCS#12 with `openssl pkcs12 -nodes`)';

const FILE_REQUIREMENT =
  'must name a readable PEM file holding both the certificate and its private key (convert PKCS#12 with `openssl pkcs12 -nodes`)';

async function pemOf(source: CertificateSource): Promise<string> {
  const valid = (pem: string) =>
    /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem) && pem.includes('-----BEGIN CERTIFICATE-----');
  if (source.field === 'azureCertificate') {
    if (!valid(source.pem)) throw new InvalidMetadataError(source.field, PEM_REQUIREMENT);
    return source.pem;
  }
  // A file: one answer whether it is missing, unreadable or not such PEM, so Init cannot probe paths (issue 21).
  let pem: string;
  try {
    pem = await readFile(source.path, 'utf8');
  } catch (error) {
    throw unusablePathError(source.field, FILE_REQUIREMENT, `cannot read: ${errnoOf(error)}`);
  }
  if (!valid(pem)) throw unusablePathError(source.field, FILE_REQUIREMENT, 'not the expected PEM');
  return pem;
}

/**
 * Client secret or certificate when given (contrib's service-principal profile); otherwise the ambient chain
 * of DefaultAzureCredential (environment, workload identity, managed identity, Azure CLI, ...).
 */
export async function createCredential(
  settings: KeyVaultSettings,
  clientOptions: AzureClientOptions,
): Promise<TokenCredential> {
  const options = {
    ...clientOptions,
    authorityHost: settings.authorityHost,
    // Instance discovery asks login.microsoftonline.com about the authority: meaningless for a custom host.
    disableInstanceDiscovery: settings.customAuthorityHost,
  };
  const principal = settings.principal;
  switch (principal.kind) {
    case 'secret':
      return new ClientSecretCredential(principal.tenantId, principal.clientId, principal.clientSecret, options);
    case 'certificate': {
      const certificate = await pemOf(principal.certificate);
      return new ClientCertificateCredential(
        principal.tenantId,
        principal.clientId,
        { certificate, ...(principal.password !== undefined && { certificatePassword: principal.password }) },
        options,
      );
    }
    case 'ambient':
      return new DefaultAzureCredential({
        ...options,
        ...(principal.tenantId !== undefined && { tenantId: principal.tenantId }),
        ...(principal.clientId !== undefined && {
          managedIdentityClientId: principal.clientId,
          workloadIdentityClientId: principal.clientId,
        }),
      });
  }
}

/** The metadata fields a credential failure points at. */
export function credentialFields(settings: KeyVaultSettings): string {
  switch (settings.principal.kind) {
    case 'secret':
      return 'azureTenantId/azureClientId/azureClientSecret';
    case 'certificate':
      return `azureTenantId/azureClientId/${settings.principal.certificate.field}`;
    case 'ambient':
      return 'azureClientSecret or azureCertificate (none given; the ambient Azure credential chain failed)';
  }
}
