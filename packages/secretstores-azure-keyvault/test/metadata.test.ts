import { InvalidMetadataError } from '@daprkit/component-sdk';
import { describe, expect, it } from 'vitest';
import { parseKeyVaultSettings } from '../src/metadata.js';

const principal = { azureTenantId: 't', azureClientId: 'c', azureClientSecret: 's3cr3t' };

describe('parseKeyVaultSettings', () => {
  it('builds the vault URL from a name, a host name or an https URL, picking the cloud from the suffix', () => {
    const cases: [string, string, string][] = [
      ['myvault', 'https://myvault.vault.azure.net', 'https://login.microsoftonline.com'],
      ['myvault.vault.azure.net', 'https://myvault.vault.azure.net', 'https://login.microsoftonline.com'],
      ['https://MyVault.vault.azure.cn/', 'https://myvault.vault.azure.cn', 'https://login.chinacloudapi.cn'],
      ['gov.vault.usgovcloudapi.net', 'https://gov.vault.usgovcloudapi.net', 'https://login.microsoftonline.us'],
    ];
    for (const [vaultName, vaultUrl, authorityHost] of cases) {
      expect(parseKeyVaultSettings({ vaultName, ...principal }), vaultName).toMatchObject({
        vaultUrl,
        authorityHost,
        vaultField: 'vaultName',
      });
    }
  });

  it('applies azureEnvironment (alias azureCloud) to a bare name', () => {
    expect(parseKeyVaultSettings({ vaultName: 'v', azureCloud: 'azurechinacloud', ...principal }).vaultUrl).toBe(
      'https://v.vault.azure.cn',
    );
    expect(() => parseKeyVaultSettings({ vaultName: 'v', azureEnvironment: 'Mars' })).toThrow(
      /metadata 'azureEnvironment'/,
    );
  });

  it('takes vaultUri and azureAuthorityHost as given, https only', () => {
    const settings = parseKeyVaultSettings({
      vaultName: 'ignored',
      vaultUri: 'https://127.0.0.1:8443/',
      azureAuthorityHost: 'https://login.example:9443',
      ...principal,
    });
    expect(settings).toMatchObject({
      vaultUrl: 'https://127.0.0.1:8443',
      vaultField: 'vaultUri',
      authorityHost: 'https://login.example:9443',
      customAuthorityHost: true,
      disableChallengeResourceVerification: false,
    });
    expect(() => parseKeyVaultSettings({ vaultUri: 'http://127.0.0.1:8443' })).toThrow(
      "metadata 'vaultUri': must use https://",
    );
    expect(() => parseKeyVaultSettings({ vaultName: 'v', azureAuthorityHost: 'nope' })).toThrow(
      /metadata 'azureAuthorityHost'/,
    );
  });

  it('requires a vault and rejects names Key Vault cannot have', () => {
    expect(() => parseKeyVaultSettings({})).toThrow("metadata 'vaultName': is required (or give vaultUri)");
    expect(() => parseKeyVaultSettings({ vaultName: 'my_vault' })).toThrow(
      /metadata 'vaultName': 'my_vault' is not a Key Vault name/,
    );
  });

  it('reads the service principal through contrib aliases and names what is missing', () => {
    expect(
      parseKeyVaultSettings({ vaultName: 'v', spnTenantId: 't', clientId: 'c', spnClientSecret: 'x' }).principal,
    ).toEqual({
      kind: 'secret',
      tenantId: 't',
      clientId: 'c',
      clientSecret: 'x',
    });
    expect(
      parseKeyVaultSettings({
        vaultName: 'v',
        tenantId: 't',
        spnClientId: 'c',
        spnCertificateFile: '/c.pem',
        spnCertificatePassword: 'pw',
      }).principal,
    ).toEqual({
      kind: 'certificate',
      tenantId: 't',
      clientId: 'c',
      certificate: { field: 'azureCertificateFile', path: '/c.pem' },
      password: 'pw',
    });
    expect(parseKeyVaultSettings({ vaultName: 'v', azureClientId: 'mi' }).principal).toEqual({
      kind: 'ambient',
      clientId: 'mi',
    });
    const missing = (() => {
      try {
        parseKeyVaultSettings({ vaultName: 'v', azureClientId: 'c', azureClientSecret: 's3cr3t' });
      } catch (e) {
        return e;
      }
    })();
    expect(missing).toBeInstanceOf(InvalidMetadataError);
    expect((missing as Error).message).toBe("metadata 'azureTenantId': is required with azureClientSecret");
  });
});
