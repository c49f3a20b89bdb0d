/**
 * Server direction: decoded wire requests → contract requests, contract results → wire responses.
 * Bytes are handed over as the decoded Buffers (no copies) and returned as the component's Uint8Arrays.
 */
import { InvalidArgumentError } from '../errors.js';
import type { BindingEvent, InvokeRequest, InvokeResponse } from '../v1/bindings.js';
import type { Metadata } from '../v1/common.js';
import type {
  BulkPublishRequest,
  BulkPublishResponse,
  PublishRequest,
  PubSubMessage,
  SubscribeRequest,
} from '../v1/pubsub.js';
import type { Secret } from '../v1/secretstores.js';
import type {
  BulkGetItem,
  DeleteRequest,
  GetRequest,
  GetResponse,
  QueryFilter,
  QueryRequest,
  QueryResponse,
  SetRequest,
  TransactionOperation,
  TransactionRequest,
} from '../v1/state.js';
import {
  consistencyFromWire,
  EMPTY_BYTES,
  etagFromWire,
  etagToWire,
  metadataOrEmpty,
  optionalString,
  SORT_DESC,
  stateOptionsFromWire,
  type WireAny,
  type WireBulkGetSecretResponse,
  type WireBulkPublishRequest,
  type WireBulkPublishResponse,
  type WireBulkStateItem,
  type WireDeleteRequest,
  type WireGetRequest,
  type WireGetResponse,
  type WireInitRequest,
  type WireInvokeRequest,
  type WireInvokeResponse,
  type WirePublishRequest,
  type WirePullMessagesResponse,
  type WireQuery,
  type WireQueryResponse,
  type WireReadResponse,
  type WireSetRequest,
  type WireTopic,
  type WireTransactionRequest,
} from './wire.js';

export function initProperties(request: WireInitRequest): Metadata {
  return request.metadata?.properties ?? {};
}

// ---------- state ----------

export function getRequestFromWire(wire: WireGetRequest): GetRequest {
  return { key: wire.key, metadata: wire.metadata, consistency: consistencyFromWire(wire.consistency) };
}

export function setRequestFromWire(wire: WireSetRequest): SetRequest {
  return {
    key: wire.key,
    value: wire.value,
    etag: etagFromWire(wire.etag),
    metadata: wire.metadata,
    options: stateOptionsFromWire(wire.options),
    contentType: optionalString(wire.contentType),
  };
}

export function deleteRequestFromWire(wire: WireDeleteRequest): DeleteRequest {
  return {
    key: wire.key,
    etag: etagFromWire(wire.etag),
    metadata: wire.metadata,
    options: stateOptionsFromWire(wire.options),
  };
}

export function getResponseToWire(response: GetResponse | undefined): WireGetResponse {
  if (response === undefined) return {};
  return {
    data: response.data,
    etag: etagToWire(response.etag),
    metadata: response.metadata,
    contentType: response.contentType,
  };
}

export function bulkGetItemToWire(item: BulkGetItem): WireBulkStateItem {
  return {
    key: item.key,
    data: item.data,
    etag: etagToWire(item.etag),
    error: item.error,
    metadata: item.metadata,
    contentType: item.contentType,
  };
}

export function transactionFromWire(wire: WireTransactionRequest): TransactionRequest {
  const operations = wire.operations.map((op, index): TransactionOperation => {
    if (op.request === 'set' && op.set != null) return { operation: 'upsert', request: setRequestFromWire(op.set) };
    if (op.request === 'delete' && op.delete != null)
      return { operation: 'delete', request: deleteRequestFromWire(op.delete) };
    throw new InvalidArgumentError(`transaction operation ${index} has neither 'set' nor 'delete'`);
  });
  return { operations, metadata: wire.metadata };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Filter `Any`s carry JSON with an empty type URL (pitfall 18): decode each top-level operand as JSON. */
export function queryFilterFromWire(filter: Record<string, WireAny>): QueryFilter | undefined {
  const keys = Object.keys(filter);
  if (keys.length === 0) return undefined;
  const decoded: QueryFilter = {};
  for (const key of keys) {
    const operand = filter[key]!;
    if (operand.type_url !== '') {
      throw new InvalidArgumentError(
        `query filter '${key}': expected a JSON operand with an empty type URL, got '${operand.type_url}'`,
      );
    }
    try {
      decoded[key] = JSON.parse(utf8.decode(operand.value));
    } catch (err) {
      throw new InvalidArgumentError(`query filter '${key}' is not valid JSON: ${(err as Error).message}`);
    }
  }
  return decoded;
}

export function queryRequestFromWire(query: WireQuery | null | undefined, metadata: Metadata): QueryRequest {
  const token = optionalString(query?.pagination?.token);
  return {
    query: {
      filter: query ? queryFilterFromWire(query.filter) : undefined,
      sort: (query?.sort ?? []).map((s) => ({ key: s.key, order: s.order === SORT_DESC ? 'DESC' : 'ASC' })),
      page:
        token === undefined
          ? { limit: query?.pagination?.limit ?? 0 }
          : { limit: query?.pagination?.limit ?? 0, token },
    },
    metadata,
  };
}

export function queryResponseToWire(response: QueryResponse): WireQueryResponse {
  return {
    items: response.items.map((item) => ({
      key: item.key,
      data: item.data,
      etag: etagToWire(item.etag),
      error: item.error,
      contentType: item.contentType,
    })),
    token: response.token,
    metadata: response.metadata,
  };
}

// ---------- pub/sub ----------

export function publishFromWire(wire: WirePublishRequest): PublishRequest {
  return {
    data: wire.data,
    pubsubName: wire.pubsubName,
    topic: wire.topic,
    metadata: wire.metadata,
    contentType: optionalString(wire.contentType),
  };
}

export function bulkPublishFromWire(wire: WireBulkPublishRequest): BulkPublishRequest {
  return {
    entries: wire.entries.map((e) => ({
      entryId: e.entryId,
      event: e.event,
      contentType: optionalString(e.contentType),
      metadata: e.metadata,
    })),
    pubsubName: wire.pubsubName,
    topic: wire.topic,
    metadata: wire.metadata,
  };
}

export function bulkPublishResponseToWire(response: BulkPublishResponse | undefined): WireBulkPublishResponse {
  return { failedEntries: response?.failedEntries ?? [] };
}

export function subscribeRequestFromWire(topic: WireTopic): SubscribeRequest {
  return { topic: topic.name, metadata: topic.metadata };
}

/** `content_type` is always filled: daprd overwrites a `content-type` metadata key with it, even when empty. */
export function pubSubMessageToWire(
  message: PubSubMessage,
  id: string,
  subscribedTopic: string,
): WirePullMessagesResponse {
  return {
    data: message.data ?? EMPTY_BYTES,
    topicName: message.topic || subscribedTopic,
    metadata: metadataOrEmpty(message.metadata),
    contentType: message.contentType ?? '',
    id,
  };
}

// ---------- bindings ----------

export function bindingEventToWire(event: BindingEvent, messageId: string): WireReadResponse {
  return {
    data: event.data ?? EMPTY_BYTES,
    metadata: metadataOrEmpty(event.metadata),
    contentType: event.contentType ?? '',
    messageId,
  };
}

export function invokeFromWire(wire: WireInvokeRequest): InvokeRequest {
  return { operation: wire.operation, data: wire.data, metadata: wire.metadata };
}

export function invokeResponseToWire(response: InvokeResponse | undefined): WireInvokeResponse {
  if (response === undefined) return {};
  return { data: response.data, metadata: response.metadata, contentType: response.contentType };
}

// ---------- secret stores ----------

export function bulkSecretsToWire(secrets: Record<string, Secret>): WireBulkGetSecretResponse {
  const data: WireBulkGetSecretResponse['data'] = {};
  for (const name of Object.keys(secrets)) data[name] = { secrets: secrets[name]! };
  return { data };
}
