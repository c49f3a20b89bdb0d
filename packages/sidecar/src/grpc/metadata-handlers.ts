/** gRPC metadata and shutdown (spec §3.1): the metadata document of api/metadata.ts in proto field names. */
import { metadataDocument, setExtendedMetadata } from '../api/metadata.js';
import type { Runtime } from '../runtime.js';
import {
  ACTOR_RUNTIME_DISABLED,
  type Empty,
  type GetMetadataResponse,
  type GrpcMetadata,
  type HandlerGroup,
  type SetMetadataRequest,
  SUBSCRIPTION_TYPES,
} from './wire.js';

export function metadataHandlers(runtime: Runtime) {
  return {
    GetMetadata: async (): Promise<GetMetadataResponse> => {
      const doc = metadataDocument(runtime);
      return {
        id: doc.id,
        active_actors_count: [],
        registered_components: doc.components.map((c) => ({ ...c, capabilities: c.capabilities ?? [] })),
        extended_metadata: doc.extended,
        subscriptions: doc.subscriptions.map((s) => ({
          pubsub_name: s.pubsubname,
          topic: s.topic,
          metadata: s.metadata ?? {},
          rules: { rules: s.rules.map((rule) => ({ match: rule.match ?? '', path: rule.path })) },
          dead_letter_topic: s.deadLetterTopic,
          type: SUBSCRIPTION_TYPES[s.type] ?? 0,
        })),
        http_endpoints: [],
        app_connection_properties: {
          port: doc.appConnectionProperties.port ?? 0,
          protocol: doc.appConnectionProperties.protocol,
          channel_address: doc.appConnectionProperties.channelAddress,
        },
        runtime_version: doc.runtimeVersion,
        enabled_features: doc.enabledFeatures,
        actor_runtime: { runtime_status: ACTOR_RUNTIME_DISABLED, active_actors: [], host_ready: false, placement: '' },
      };
    },
    SetMetadata: async (r: SetMetadataRequest): Promise<Empty> => {
      if (r.key !== '') setExtendedMetadata(runtime.extendedMetadata, r.key, r.value);
      return {};
    },
    Shutdown: async (_r: Empty, metadata: GrpcMetadata): Promise<Empty> => {
      const force = String(metadata.get('dapr-force-shutdown')[0] ?? '').toLowerCase() === 'true';
      setImmediate(() => runtime.requestShutdown(force));
      return {};
    },
  } satisfies HandlerGroup;
}
