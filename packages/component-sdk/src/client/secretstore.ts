import { ServiceName } from '../server/proto.js';
import type { WireBulkGetSecretResponse, WireFeaturesResponse, WireGetSecretResponse } from '../server/wire.js';
import type { Metadata } from '../v1/common.js';
import type { Secret, SecretStore, SecretStoreFeature } from '../v1/secretstores.js';
import { RemoteComponent, type RemoteOptions } from './remote.js';

export interface RemoteSecretStore extends SecretStore {
  ping(): Promise<void>;
  close(): Promise<void>;
}

const SECRETS = ServiceName.SecretStore;

class RemoteSecretStoreClient extends RemoteComponent implements RemoteSecretStore {
  private cachedFeatures: readonly SecretStoreFeature[] = [];

  async init(properties: Metadata): Promise<void> {
    await this.initInstance(SECRETS, properties);
    const { features } = await this.call<object, WireFeaturesResponse>(SECRETS, 'Features', {});
    this.cachedFeatures = features as SecretStoreFeature[];
  }

  features(): readonly SecretStoreFeature[] {
    return this.cachedFeatures;
  }

  async getSecret(request: { name: string; metadata: Metadata }): Promise<Secret> {
    const { data } = await this.call<unknown, WireGetSecretResponse>(SECRETS, 'Get', {
      key: request.name,
      metadata: request.metadata ?? {},
    });
    return data;
  }

  async bulkGetSecret(request: { metadata: Metadata }): Promise<Record<string, Secret>> {
    const { data } = await this.call<unknown, WireBulkGetSecretResponse>(SECRETS, 'BulkGet', {
      metadata: request.metadata ?? {},
    });
    const secrets: Record<string, Secret> = {};
    for (const name of Object.keys(data)) secrets[name] = data[name]!.secrets;
    return secrets;
  }

  async ping(): Promise<void> {
    await this.call(SECRETS, 'Ping', {});
  }
}

export function remoteSecretStore(options: RemoteOptions): RemoteSecretStore {
  return new RemoteSecretStoreClient(options);
}
