/**
 * Wire shapes of `dapr.proto.runtime.v1.Dapr` as @grpc/proto-loader hands them over with our options
 * (shared/runtime-proto.ts: keepCase, so field names are spelled as in the proto; longs and enums as numbers;
 * defaults on). With `defaults: true` an absent message field decodes as `null`, while scalars, maps and lists get
 * their defaults. Responses may leave fields out; the encoder fills in defaults.
 */
import type { Metadata } from '@daprkit/component-sdk';
import type { TraceSpan } from '../observability/tracing.js';

export type Empty = Record<string, never>;

/** A call's gRPC metadata as both engines hand it over (grpc-js `Metadata.get` semantics: Buffers for `-bin`). */
export interface GrpcMetadata {
  get(key: string): (string | Buffer)[];
  /** The first value of every key. */
  getMap(): Record<string, string | Buffer>;
}

/**
 * One unary method: the decoded request and the call's gRPC metadata in, the response out. `span` is this call's
 * span (observability/api-spans.ts), undefined when tracing is off.
 */
export type UnaryHandler<Req, Res> = (request: Req, metadata: GrpcMetadata, span?: TraceSpan) => Promise<Res>;

/** One building block's methods, by their name in the Dapr service (grpc/<area>-handlers.ts). */
// `never` accepts every request type, so groups of differently typed handlers fit one record.
export type HandlerGroup = Record<string, UnaryHandler<never, unknown>>;

// common.v1

export interface WireEtag {
  value: string;
}

export interface WireStateOptions {
  /** `StateOptions.StateConcurrency`, see CONCURRENCY. */
  concurrency: number;
  /** `StateOptions.StateConsistency`, see CONSISTENCY. */
  consistency: number;
}

export interface WireStateItem {
  key: string;
  value: Buffer;
  etag: WireEtag | null;
  metadata: Metadata;
  options: WireStateOptions | null;
}

/** `common.v1.StateOptions` enums → API strings (0 = unspecified). */
export const CONSISTENCY = ['', 'eventual', 'strong'] as const;
export const CONCURRENCY = ['', 'first-write', 'last-write'] as const;

// State

export interface GetStateRequest {
  store_name: string;
  key: string;
  consistency: number;
  metadata: Metadata;
}
export interface GetStateResponse {
  data: Buffer;
  etag: string;
  metadata: Metadata;
}

export interface GetBulkStateRequest {
  store_name: string;
  keys: string[];
  parallelism: number;
  metadata: Metadata;
}
export interface GetBulkStateResponse {
  items: { key: string; data: Buffer; etag: string; error: string; metadata: Metadata }[];
}

export interface SaveStateRequest {
  store_name: string;
  states: WireStateItem[];
}

export interface DeleteStateRequest {
  store_name: string;
  key: string;
  etag: WireEtag | null;
  options: WireStateOptions | null;
  metadata: Metadata;
}

export interface DeleteBulkStateRequest {
  store_name: string;
  states: WireStateItem[];
}

/** This message is camelCase in the proto itself. */
export interface ExecuteStateTransactionRequest {
  storeName: string;
  operations: { operationType: string; request: WireStateItem | null }[];
  metadata: Metadata;
}

export interface QueryStateRequest {
  store_name: string;
  query: string;
  metadata: Metadata;
}
export interface QueryStateResponse {
  results: { key: string; data: Buffer; etag: string; error: string }[];
  token: string;
  metadata: Metadata;
}

// Pub/sub

export interface PublishEventRequest {
  pubsub_name: string;
  topic: string;
  data: Buffer;
  data_content_type: string;
  metadata: Metadata;
}

export interface BulkPublishRequest {
  pubsub_name: string;
  topic: string;
  entries: { entry_id: string; event: Buffer; content_type: string; metadata: Metadata }[];
  metadata: Metadata;
}
export interface BulkPublishResponse {
  failedEntries: { entry_id: string; error: string }[];
}

// Bindings

export interface InvokeBindingRequest {
  name: string;
  data: Buffer;
  metadata: Metadata;
  operation: string;
}
export interface InvokeBindingResponse {
  data: Buffer;
  metadata: Metadata;
}

// Secrets

export interface GetSecretRequest {
  store_name: string;
  key: string;
  metadata: Metadata;
}
export interface GetSecretResponse {
  data: Record<string, string>;
}

export interface GetBulkSecretRequest {
  store_name: string;
  metadata: Metadata;
}
export interface GetBulkSecretResponse {
  data: Record<string, { secrets: Record<string, string> }>;
}

// Metadata

/** `PubsubSubscriptionType`. */
export const SUBSCRIPTION_TYPES: Record<string, number> = { DECLARATIVE: 1, PROGRAMMATIC: 2, STREAMING: 3 };
/** `ActorRuntime.ActorRuntimeStatus.DISABLED`. */
export const ACTOR_RUNTIME_DISABLED = 1;

export interface GetMetadataResponse {
  id: string;
  active_actors_count: { type: string; count: number }[];
  registered_components: { name: string; type: string; version: string; capabilities: string[] }[];
  extended_metadata: Record<string, string>;
  subscriptions: {
    pubsub_name: string;
    topic: string;
    metadata: Metadata;
    rules: { rules: { match: string; path: string }[] };
    dead_letter_topic: string;
    type: number;
  }[];
  http_endpoints: { name: string }[];
  app_connection_properties?: { port: number; protocol: string; channel_address: string };
  runtime_version: string;
  enabled_features: string[];
  actor_runtime: {
    runtime_status: number;
    active_actors: { type: string; count: number }[];
    host_ready: boolean;
    placement: string;
  };
}

export interface SetMetadataRequest {
  key: string;
  value: string;
}

// Service invocation (InvokeService, spec sidecar-wave2 §1.6)

export interface WireAny {
  type_url: string;
  value: Buffer;
}

export interface InvokeServiceRequest {
  id: string;
  message: {
    method: string;
    data: WireAny | null;
    content_type: string;
    http_extension: { verb: number; querystring: string } | null;
  } | null;
}

export interface InvokeResponse {
  data: WireAny;
  content_type: string;
}
