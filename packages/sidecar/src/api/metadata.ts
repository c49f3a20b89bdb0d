/** `GET /v1.0/metadata` (spec §2.5): what @dapr/dapr polls for readiness and reads back. */
import type { AppConnection } from '../app/app-channel.js';
import type { ComponentTable } from '../composition/table.js';
import type { ConfigurationResource, SubscriptionResource } from '../resources/types.js';
import { malformedRequest } from '../shared/errors.js';
import { DAPR_API_VERSION, VERSION } from '../version.js';

export interface MetadataContext {
  readonly appId: string;
  readonly components: ComponentTable;
  readonly configuration: ConfigurationResource;
  readonly extendedMetadata: ReadonlyMap<string, string>;
  readonly subscriptions: readonly SubscriptionResource[];
  readonly app: AppConnection;
}

export interface MetadataDocument {
  id: string;
  runtimeVersion: string;
  enabledFeatures: string[];
  actors: { type: string; count: number }[];
  components: { name: string; type: string; version: string; capabilities?: string[] }[];
  extended: Record<string, string>;
  subscriptions: {
    pubsubname: string;
    topic: string;
    metadata?: Record<string, string>;
    rules: { match?: string; path: string }[];
    deadLetterTopic: string;
    type: string;
  }[];
  httpEndpoints?: { name: string }[];
  appConnectionProperties: { port?: number; protocol: string; channelAddress: string };
  actorRuntime: { runtimeStatus: string; hostReady: boolean; placement?: string };
  /** daprd omits it while no workflow worker is connected, which here is always. */
  workflows?: { connectedWorkers: number };
}

/**
 * What daprd 1.18.1 reports for the built-in components we also serve (checked against the daprd binary): our
 * packages derive BULK_PUBSUB from a `bulkPublish` method and QUERY_API from `query`, which the sidecar serves
 * either way, but Dapr tooling must not be told a capability daprd would not claim for the same type.
 */
const DAPRD_CAPABILITIES: Readonly<Record<string, readonly string[]>> = {
  'state.in-memory': ['ETAG', 'TRANSACTIONAL', 'TTL', 'DELETE_WITH_PREFIX', 'KEYS_LIKE', 'ACTOR'],
  'state.redis': ['ETAG', 'TRANSACTIONAL', 'TTL', 'KEYS_LIKE', 'ACTOR'],
  'pubsub.in-memory': ['SUBSCRIBE_WILDCARDS'],
  'pubsub.redis': [],
};

function claimedCapabilities(type: string, capabilities: readonly string[]): string[] {
  const daprd = DAPRD_CAPABILITIES[type];
  return daprd === undefined ? [...capabilities] : capabilities.filter((c) => daprd.includes(c));
}

export function metadataDocument(runtime: MetadataContext): MetadataDocument {
  const document: MetadataDocument = {
    id: runtime.appId,
    runtimeVersion: DAPR_API_VERSION,
    enabledFeatures: runtime.configuration.features.filter((f) => f.enabled).map((f) => f.name),
    actors: [],
    components: runtime.components.all.map((c) => {
      const capabilities = claimedCapabilities(c.type, c.capabilities);
      return { name: c.name, type: c.type, version: c.version, ...(capabilities.length > 0 ? { capabilities } : {}) };
    }),
    // The runtime's own entries win over a PUT of the same key.
    extended: {
      ...Object.fromEntries(runtime.extendedMetadata),
      daprRuntimeVersion: DAPR_API_VERSION,
      daprkitVersion: VERSION,
    },
    subscriptions: runtime.subscriptions.map((s) => ({
      pubsubname: s.pubsubname,
      topic: s.topic,
      ...(Object.keys(s.metadata).length > 0 ? { metadata: s.metadata } : {}),
      rules: s.rules.map((r) => (r.match === undefined ? { path: r.path } : { match: r.match, path: r.path })),
      deadLetterTopic: s.deadLetterTopic ?? '',
      type: s.type,
    })),
    // daprd (protojson) always writes the app's protocol and address, its port only when there is an app.
    appConnectionProperties: {
      ...(runtime.app.port === undefined ? {} : { port: runtime.app.port }),
      protocol: runtime.app.protocol,
      channelAddress: runtime.app.channelAddress,
    },
    actorRuntime: { runtimeStatus: 'DISABLED', hostReady: false, placement: 'placement: disconnected' },
  };
  return document;
}

/** Bounds of `PUT /v1.0/metadata/{key}` / SetMetadata: the extended metadata lives in memory and is served whole. */
export const EXTENDED_METADATA_LIMITS = { entries: 100, keyBytes: 256, valueBytes: 64 * 1024 } as const;

/** Stores one extended-metadata entry, refusing (400 ERR_MALFORMED_REQUEST) what would grow it without bound. */
export function setExtendedMetadata(extended: Map<string, string>, key: string, value: string): void {
  const { entries, keyBytes, valueBytes } = EXTENDED_METADATA_LIMITS;
  if (Buffer.byteLength(key) > keyBytes) throw malformedRequest(`metadata key is longer than ${keyBytes} bytes`);
  if (Buffer.byteLength(value) > valueBytes)
    throw malformedRequest(`metadata value for '${key}' is larger than ${valueBytes} bytes`);
  if (!extended.has(key) && extended.size >= entries)
    throw malformedRequest(`at most ${entries} extended metadata entries can be set`);
  extended.set(key, value);
}
