/**
 * Client direction, as daprd builds requests: contract requests → wire, wire responses → contract.
 * Shares the enum tables and ETag rules with the server (../server/wire.ts).
 */

import {
  consistencyToWire,
  EMPTY_BYTES,
  etagFromWire,
  etagToWire,
  optionalString,
  SORT_DESC,
  stateOptionsToWire,
  type WireAny,
  type WireBulkPublishRequest,
  type WireBulkStateItem,
  type WireDeleteRequest,
  type WireGetRequest,
  type WireGetResponse,
  type WireInvokeRequest,
  type WireInvokeResponse,
  type WirePublishRequest,
  type WirePullMessagesResponse,
  type WireQueryItem,
  type WireQueryRequest,
  type WireReadResponse,
  type WireSetRequest,
  type WireTransactionRequest,
} from '../server/wire.js';
import type { BindingEvent, InvokeRequest, InvokeResponse } from '../v1/bindings.js';
import type { Metadata } from '../v1/common.js';
import type { BulkPublishRequest, PublishRequest, PubSubMessage } from '../v1/pubsub.js';
import type {
  BulkGetItem,
  DeleteRequest,
  GetRequest,
  GetResponse,
  QueryRequest,
  QueryResponse,
  SetRequest,
  TransactionRequest,
} from '../v1/state.js';

const utf8 = new TextEncoder();

/** Response metadata maps always decode (as `{}`); the contract leaves an empty one out. */
const nonEmpty = (metadata: Metadata | undefined): Metadata | undefined =>
  metadata && Object.keys(metadata).length > 0 ? metadata : undefined;

/** Empty bytes mean "not found" on the wire. */
const presentBytes = (data: Uint8Array | undefined): Uint8Array | undefined =>
  data && data.length > 0 ? data : undefined;

// ---------- state ----------

export function getRequestToWire(request: GetRequest): WireGetRequest {
  return { key: request.key, metadata: request.metadata ?? {}, consistency: consistencyToWire(request.consistency) };
}

/** daprd always sends `options` (enums possibly UNSPECIFIED). */
export function setRequestToWire(request: SetRequest): WireSetRequest {
  return {
    key: request.key,
    value: request.value,
    etag: etagToWire(request.etag),
    metadata: request.metadata ?? {},
    options: stateOptionsToWire(request.options),
    contentType: request.contentType ?? '',
  };
}

export function deleteRequestToWire(request: DeleteRequest): WireDeleteRequest {
  return {
    key: request.key,
    etag: etagToWire(request.etag),
    metadata: request.metadata ?? {},
    options: stateOptionsToWire(request.options),
  };
}

export function getResponseFromWire(wire: WireGetResponse): GetResponse {
  const response: GetResponse = {};
  const data = presentBytes(wire.data);
  if (data) response.data = data;
  const etag = etagFromWire(wire.etag);
  if (etag) response.etag = etag;
  const metadata = nonEmpty(wire.metadata);
  if (metadata) response.metadata = metadata;
  if (wire.contentType) response.contentType = wire.contentType;
  return response;
}

export function bulkGetItemFromWire(wire: WireBulkStateItem): BulkGetItem {
  const item: BulkGetItem = { key: wire.key, ...getResponseFromWire(wire) };
  if (wire.error) item.error = wire.error;
  return item;
}

export function transactionToWire(request: TransactionRequest): WireTransactionRequest {
  return {
    operations: request.operations.map((op) =>
      op.operation === 'upsert' ? { set: setRequestToWire(op.request) } : { delete: deleteRequestToWire(op.request) },
    ),
    metadata: request.metadata ?? {},
  };
}

/** daprd's encoding (§5.5.9): one `Any` per top-level filter key, empty type URL, JSON value. */
export function queryRequestToWire(request: QueryRequest): WireQueryRequest {
  const filter: Record<string, WireAny> = {};
  for (const [key, operand] of Object.entries(request.query.filter ?? {})) {
    filter[key] = { type_url: '', value: utf8.encode(JSON.stringify(operand)) };
  }
  return {
    query: {
      filter,
      sort: request.query.sort.map((s) => ({ key: s.key, order: s.order === 'DESC' ? SORT_DESC : 0 })),
      pagination: { limit: request.query.page.limit, token: request.query.page.token ?? '' },
    },
    metadata: request.metadata ?? {},
  };
}

export function queryResponseFromWire(wire: {
  items: WireQueryItem[];
  token?: string;
  metadata?: Metadata;
}): QueryResponse {
  const response: QueryResponse = {
    items: wire.items.map((w) => {
      const item: QueryResponse['items'][number] = { key: w.key, ...getResponseFromWire(w) };
      if (w.error) item.error = w.error;
      return item;
    }),
  };
  if (wire.token) response.token = wire.token;
  const metadata = nonEmpty(wire.metadata);
  if (metadata) response.metadata = metadata;
  return response;
}

// ---------- pub/sub ----------

export function publishToWire(request: PublishRequest): WirePublishRequest {
  return {
    data: request.data,
    pubsubName: request.pubsubName,
    topic: request.topic,
    metadata: request.metadata ?? {},
    contentType: request.contentType ?? '',
  };
}

export function bulkPublishToWire(request: BulkPublishRequest): WireBulkPublishRequest {
  return {
    entries: request.entries.map((e) => ({
      entryId: e.entryId,
      event: e.event,
      contentType: e.contentType ?? '',
      metadata: e.metadata ?? {},
    })),
    pubsubName: request.pubsubName,
    topic: request.topic,
    metadata: request.metadata ?? {},
  };
}

export function pubSubMessageFromWire(wire: WirePullMessagesResponse): PubSubMessage {
  const message: PubSubMessage = {
    data: wire.data ?? EMPTY_BYTES,
    topic: wire.topicName,
    metadata: wire.metadata ?? {},
  };
  const contentType = optionalString(wire.contentType);
  if (contentType !== undefined) message.contentType = contentType;
  return message;
}

// ---------- bindings ----------

export function bindingEventFromWire(wire: WireReadResponse): BindingEvent {
  const event: BindingEvent = { data: wire.data ?? EMPTY_BYTES, metadata: wire.metadata ?? {} };
  const contentType = optionalString(wire.contentType);
  if (contentType !== undefined) event.contentType = contentType;
  return event;
}

export function invokeToWire(request: InvokeRequest): WireInvokeRequest {
  return { data: request.data ?? EMPTY_BYTES, metadata: request.metadata ?? {}, operation: request.operation };
}

export function invokeResponseFromWire(wire: WireInvokeResponse): InvokeResponse {
  const response: InvokeResponse = {};
  const data = presentBytes(wire.data);
  if (data) response.data = data;
  const metadata = nonEmpty(wire.metadata);
  if (metadata) response.metadata = metadata;
  if (wire.contentType) response.contentType = wire.contentType;
  return response;
}
