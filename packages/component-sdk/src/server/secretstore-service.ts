import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { SecretStore } from '../v1/secretstores.js';
import { bulkSecretsToWire } from './convert.js';
import type { InstanceTable } from './instances.js';
import { ServiceName } from './proto.js';
import { initHandler, pingRun, unary } from './unary.js';
import type {
  WireBulkGetSecretRequest,
  WireBulkGetSecretResponse,
  WireFeaturesResponse,
  WireGetSecretRequest,
  WireGetSecretResponse,
} from './wire.js';

const features = (store: SecretStore): WireFeaturesResponse => ({ features: [...store.features()] });

const get = async (store: SecretStore, request: WireGetSecretRequest): Promise<WireGetSecretResponse> => ({
  data: await store.getSecret({ name: request.key, metadata: request.metadata }),
});

const bulkGet = async (store: SecretStore, request: WireBulkGetSecretRequest): Promise<WireBulkGetSecretResponse> =>
  bulkSecretsToWire(await store.bulkGetSecret({ metadata: request.metadata }));

export function secretStoreServices(
  table: InstanceTable<'secretStore'>,
): [ServiceName, UntypedServiceImplementation][] {
  return [
    [
      ServiceName.SecretStore,
      {
        Init: initHandler(table),
        Features: unary(table, features),
        Get: unary(table, get),
        BulkGet: unary(table, bulkGet),
        Ping: unary(table, pingRun),
      },
    ],
  ];
}
