/**
 * Wire shapes of `dapr.proto.components.v1` as @grpc/proto-loader hands them over with our options
 * (camelCase, longs/enums as numbers, defaults on, virtual oneof names), and the small conversions that
 * both directions share (server: convert.ts, client: ../client/convert.ts).
 *
 * With `defaults: true` an absent *message* field decodes as `null`; scalars, maps and lists get defaults.
 * So presence is tested with `!= null`, never by truthiness of a nested string.
 */
import type { Metadata } from '../v1/common.js';
import type { Concurrency, Consistency, StateOptions } from '../v1/state.js';

export type Bytes = Uint8Array;
/** Decoded message fields are `null` when absent; encoders also accept `undefined`. */
export type Maybe<T> = T | null | undefined;

export interface WireEtag {
  value: string;
}
export interface WireStateOptions {
  concurrency: number;
  consistency: number;
}
export interface WireMetadataRequest {
  properties: Metadata;
}
export interface WireInitRequest {
  metadata: Maybe<WireMetadataRequest>;
}
export interface WireFeaturesResponse {
  features: string[];
}

export interface WireGetRequest {
  key: string;
  metadata: Metadata;
  consistency: number;
}
export interface WireGetResponse {
  data?: Bytes;
  etag?: Maybe<WireEtag>;
  metadata?: Metadata;
  contentType?: string;
}
export interface WireSetRequest {
  key: string;
  value: Bytes;
  etag: Maybe<WireEtag>;
  metadata: Metadata;
  options: Maybe<WireStateOptions>;
  contentType: string;
}
export interface WireDeleteRequest {
  key: string;
  etag: Maybe<WireEtag>;
  metadata: Metadata;
  options: Maybe<WireStateOptions>;
}
export interface WireBulkOptions {
  parallelism: number;
}
export interface WireBulkGetRequest {
  items: WireGetRequest[];
  options: Maybe<WireBulkOptions>;
}
export interface WireBulkStateItem {
  key: string;
  data?: Bytes;
  etag?: Maybe<WireEtag>;
  error?: string;
  metadata?: Metadata;
  contentType?: string;
}
export interface WireBulkGetResponse {
  items: WireBulkStateItem[];
}
export interface WireBulkSetRequest {
  items: WireSetRequest[];
  options: Maybe<WireBulkOptions>;
}
export interface WireBulkDeleteRequest {
  items: WireDeleteRequest[];
  options: Maybe<WireBulkOptions>;
}
export interface WireTransactionOperation {
  /** Virtual oneof discriminator (`oneofs: true`); absent when neither member is set. */
  request?: 'set' | 'delete';
  set?: Maybe<WireSetRequest>;
  delete?: Maybe<WireDeleteRequest>;
}
export interface WireTransactionRequest {
  operations: WireTransactionOperation[];
  metadata: Metadata;
}
export interface WireMultiMaxSizeResponse {
  maxSize: number;
}
/** `google.protobuf.Any` comes from protobufjs' built-in definition, which keeps the snake_case name. */
export interface WireAny {
  type_url: string;
  value: Bytes;
}
export interface WireSorting {
  key: string;
  order: number;
}
export interface WirePagination {
  limit: number;
  token: string;
}
export interface WireQuery {
  filter: Record<string, WireAny>;
  sort: WireSorting[];
  pagination: Maybe<WirePagination>;
}
export interface WireQueryRequest {
  query: Maybe<WireQuery>;
  metadata: Metadata;
}
export interface WireQueryItem {
  key: string;
  data?: Bytes;
  etag?: Maybe<WireEtag>;
  error?: string;
  contentType?: string;
}
export interface WireQueryResponse {
  items: WireQueryItem[];
  token?: string;
  metadata?: Metadata;
}

export interface WirePublishRequest {
  data: Bytes;
  pubsubName: string;
  topic: string;
  metadata: Metadata;
  contentType: string;
}
export interface WireBulkMessageEntry {
  entryId: string;
  event: Bytes;
  contentType: string;
  metadata: Metadata;
}
export interface WireBulkPublishRequest {
  entries: WireBulkMessageEntry[];
  pubsubName: string;
  topic: string;
  metadata: Metadata;
}
export interface WireBulkPublishResponse {
  failedEntries: { entryId: string; error: string }[];
}
export interface WireTopic {
  name: string;
  metadata: Metadata;
}
export interface WirePullMessagesRequest {
  topic?: Maybe<WireTopic>;
  ackMessageId?: string;
  /** Present (even with an empty message) = negative ack. */
  ackError?: Maybe<{ message: string }>;
}
export interface WirePullMessagesResponse {
  data: Bytes;
  topicName: string;
  metadata: Metadata;
  contentType: string;
  id: string;
}

export interface WireReadRequest {
  responseData?: Bytes;
  messageId: string;
  /** Present = the app or delivery failed. */
  responseError?: Maybe<{ message: string }>;
}
export interface WireReadResponse {
  data: Bytes;
  metadata: Metadata;
  contentType: string;
  messageId: string;
}
export interface WireInvokeRequest {
  data: Bytes;
  metadata: Metadata;
  operation: string;
}
export interface WireInvokeResponse {
  data?: Bytes;
  metadata?: Metadata;
  contentType?: string;
}
export interface WireListOperationsResponse {
  operations: string[];
}

export interface WireGetSecretRequest {
  key: string;
  metadata: Metadata;
}
export interface WireGetSecretResponse {
  data: Record<string, string>;
}
export interface WireBulkGetSecretRequest {
  metadata: Metadata;
}
export interface WireBulkGetSecretResponse {
  data: Record<string, { secrets: Record<string, string> }>;
}

// ---------- shared conversions ----------

export const EMPTY_BYTES: Bytes = new Uint8Array(0);
const NO_METADATA: Metadata = Object.freeze({}) as Metadata;

/** `StateOptions.StateConcurrency` numbers ⇄ contract strings (index = wire number). */
const CONCURRENCY: readonly (Concurrency | undefined)[] = [undefined, 'first-write', 'last-write'];
/** `StateOptions.StateConsistency` numbers ⇄ contract strings. */
const CONSISTENCY: readonly (Consistency | undefined)[] = [undefined, 'eventual', 'strong'];

export const concurrencyFromWire = (value: number | undefined): Concurrency | undefined => CONCURRENCY[value ?? 0];
export const consistencyFromWire = (value: number | undefined): Consistency | undefined => CONSISTENCY[value ?? 0];
export const concurrencyToWire = (value: Concurrency | undefined): number => (value ? CONCURRENCY.indexOf(value) : 0);
export const consistencyToWire = (value: Consistency | undefined): number => (value ? CONSISTENCY.indexOf(value) : 0);

export const SORT_DESC = 1;

/** An `Etag` message guards only when present with a non-empty value (pitfall 14). */
export function etagFromWire(etag: Maybe<WireEtag>): string | undefined {
  return etag?.value ? etag.value : undefined;
}

/** Never send an `Etag` message with an empty value: daprd would surface an empty ETag header. */
export function etagToWire(etag: string | undefined): WireEtag | null {
  return etag ? { value: etag } : null;
}

export function stateOptionsFromWire(options: Maybe<WireStateOptions>): StateOptions {
  if (options == null) return {};
  const concurrency = concurrencyFromWire(options.concurrency);
  const consistency = consistencyFromWire(options.consistency);
  if (concurrency === undefined && consistency === undefined) return {};
  return consistency === undefined
    ? { concurrency }
    : concurrency === undefined
      ? { consistency }
      : { concurrency, consistency };
}

export function stateOptionsToWire(options: StateOptions | undefined): WireStateOptions {
  return { concurrency: concurrencyToWire(options?.concurrency), consistency: consistencyToWire(options?.consistency) };
}

/** Empty strings on the wire mean "not set". */
export const optionalString = (value: string | undefined): string | undefined => (value ? value : undefined);

export const metadataOrEmpty = (value: Metadata | undefined | null): Metadata => value ?? NO_METADATA;
