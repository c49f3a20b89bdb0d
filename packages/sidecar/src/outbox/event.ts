/**
 * The CloudEvent an outbox upsert becomes (spec §5.2 steps 2–6). Its shape is daprd's byte for byte where it
 * matters, because daprd peers may relay our events and we theirs.
 */
import type { Metadata, SetRequest } from '@daprkit/component-sdk';
import { contentTypeOf } from '@daprkit/component-sdk';
import { isJsonContentType } from '../api/cloudevents.js';

/** How the transaction's values were encoded by the API surface that received them. */
export type ValueEncoding = 'json-text' | 'bytes';

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

const mediaType = (contentType: string) => (contentType.split(';')[0] ?? '').trim().toLowerCase();

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

/** Places the payload by the publish rules of spec §2.2.2; returns the raw JSON to splice as `data`, if any. */
function placeData(event: Record<string, unknown>, payload: Buffer, contentType: string): string | undefined {
  const media = mediaType(contentType);
  if (media === 'application/octet-stream' || media === 'application/cloudevents+protobuf') {
    event.data_base64 = payload.toString('base64');
    return undefined;
  }
  const text = payload.toString('utf8');
  if (isJsonContentType(contentType)) {
    try {
      JSON.parse(text);
      return text.trim();
    } catch {
      // Not JSON after all: carried as a string, as daprd does.
    }
  }
  event.data = text;
  return undefined;
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
  const rawData = placeData(event, payloadBytes(chosen.value, contentType, input.encoding), contentType);
  for (const [key, value] of Object.entries(input.upsert.metadata as Metadata)) {
    if (key === 'id' || key === 'data') continue;
    event[key] = value;
  }
  const head = JSON.stringify(event);
  return Buffer.from(rawData === undefined ? head : `${head.slice(0, -1)},"data":${rawData}}`);
}
