/**
 * The CloudEvent an outbox upsert becomes (spec §5.2 steps 2–6). Its shape is daprd's byte for byte where it
 * matters, because daprd peers may relay our events and we theirs.
 */
import type { Metadata, SetRequest } from '@daprkit/component-sdk';
import { contentTypeOf } from '@daprkit/component-sdk';
import { placeCloudEventData, serializeCloudEvent } from '../api/cloudevents.js';
import type { ValueEncoding } from '../api/transaction.js';
import { mediaType } from '../shared/media-type.js';

export interface OutboxEventInput {
  markerKey: string;
  appId: string;
  internalPubsub: string;
  /** The upsert that triggers the event; its metadata is copied onto the event. */
  upsert: SetRequest;
  /** The projection for the same key, whose value and content type replace the upsert's. */
  projection: SetRequest | undefined;
  encoding: ValueEncoding;
  traceid: string;
  tracestate: string;
}

/** Go's `%v` of a decoded JSON value: daprd formats non-JSON payloads this way (objects become `map[k:v]`). */
function goFormat(value: unknown): string {
  if (value === null) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goFormat).join(' ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, v]) => `${k}:${goFormat(v)}`).join(' ')}]`;
  }
  return String(value); // JS and Go print float64 alike (exponent from 1e21 up)
}

/** The payload bytes daprd would publish for this value (spec §5.2 step 4). */
function payloadBytes(value: Uint8Array, contentType: string, encoding: ValueEncoding): Buffer {
  const bytes = Buffer.from(value);
  if (encoding === 'bytes' || mediaType(contentType) === 'application/json') return bytes;
  return Buffer.from(goFormat(JSON.parse(bytes.toString('utf8'))));
}

/** The serialised internal event; `id` is the marker key, so it is stable from the write to the final topic. */
export function outboxEvent(input: OutboxEventInput): Buffer {
  const chosen = input.projection ?? input.upsert;
  const contentType = contentTypeOf(chosen) ?? '';
  const event: Record<string, unknown> = {
    id: input.markerKey,
    source: input.appId,
    type: 'com.dapr.event.sent',
    specversion: '1.0',
    topic: '',
    pubsubname: input.internalPubsub,
    datacontenttype: contentType || 'text/plain',
    traceid: input.traceid,
    traceparent: '',
    tracestate: input.tracestate,
    time: new Date().toISOString(),
  };
  // The payload goes in by the publish rules of spec §2.2.2, then the metadata keys are copied over it.
  const rawData = placeCloudEventData(event, payloadBytes(chosen.value, contentType, input.encoding), contentType);
  for (const [key, value] of Object.entries(input.upsert.metadata as Metadata)) {
    if (key === 'id' || key === 'data') continue;
    event[key] = value;
  }
  return serializeCloudEvent(event, rawData);
}
