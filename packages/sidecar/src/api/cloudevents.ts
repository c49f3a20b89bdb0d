/**
 * CloudEvents envelopes as daprd builds them on publish (spec §2.2.2): a new envelope around the payload, or the
 * caller's own event passed through with `topic`/`pubsubname` overwritten and missing fields defaulted. The
 * outbox builds its events with the same data placement and serialisation (placeCloudEventData, serializeCloudEvent).
 */
import { randomUUID } from 'node:crypto';
import { type Metadata, parseDuration } from '@daprkit/component-sdk';
import { goJsonStringify, parseJsonBounded } from '../shared/go-json.js';
import { isObject } from '../shared/json-fields.js';
import { isBinaryContentType, isCloudEventContentType, isJsonContentType } from '../shared/media-type.js';

export interface EnvelopeInput {
  appId: string;
  pubsubName: string;
  topic: string;
  data: Uint8Array;
  contentType: string;
  metadata: Metadata;
  /** W3C traceparent of the incoming request, `''` when none. */
  traceparent: string;
  tracestate: string;
  /** The component lacks MESSAGE_TTL: the sidecar stamps `expiration` itself. */
  addExpiration: boolean;
}

/** `cloudevent.<field>` overrides, matched case-insensitively. */
function overrides(metadata: Metadata): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(metadata)) {
    if (key.toLowerCase().startsWith('cloudevent.')) out.set(key.slice('cloudevent.'.length).toLowerCase(), value);
  }
  return out;
}

function expirationFrom(metadata: Metadata): string | undefined {
  const raw = Object.entries(metadata).find(([k]) => ['ttlinseconds', 'ttl'].includes(k.toLowerCase()))?.[1];
  if (raw === undefined) return undefined;
  const ms = parseDuration(raw, 'seconds');
  return ms !== undefined && ms > 0 ? new Date(Date.now() + ms).toISOString() : undefined;
}

export class CloudEventError extends Error {
  override name = 'CloudEventError';
}

/** Serialises an envelope; `rawJsonData` is spliced in verbatim as `data`, so big numbers survive exactly. */
export function serializeCloudEvent(envelope: Record<string, unknown>, rawJsonData?: string): Buffer {
  const head = JSON.stringify(envelope);
  return Buffer.from(rawJsonData === undefined ? head : `${head.slice(0, -1)},"data":${rawJsonData}}`);
}

/**
 * Places a payload in an envelope by its content type (spec §2.2.2): binary as `data_base64`, valid JSON as raw
 * JSON (returned, for serializeCloudEvent to splice in), anything else as a `data` string.
 */
export function placeCloudEventData(
  envelope: Record<string, unknown>,
  payload: Uint8Array,
  contentType: string,
): string | undefined {
  if (isBinaryContentType(contentType)) {
    envelope.data_base64 = Buffer.from(payload).toString('base64');
    return undefined;
  }
  const text = Buffer.from(payload).toString('utf8');
  if (isJsonContentType(contentType)) {
    try {
      parseJsonBounded(text);
      return text.trim();
    } catch {
      // Not valid JSON after all (or nested beyond Go's limit): daprd then carries it as a string.
    }
  }
  envelope.data = text;
  return undefined;
}

export function buildCloudEvent(input: EnvelopeInput): Buffer {
  const text = Buffer.from(input.data).toString('utf8');
  const expiration = input.addExpiration ? expirationFrom(input.metadata) : undefined;
  if (isCloudEventContentType(input.contentType)) {
    let event: unknown;
    try {
      event = parseJsonBounded(text);
    } catch (error) {
      throw new CloudEventError(`cannot create cloudevent: ${(error as Error).message}`);
    }
    if (!isObject(event)) throw new CloudEventError('cannot create cloudevent: not a JSON object');
    const passthrough = event;
    passthrough.topic = input.topic;
    passthrough.pubsubname = input.pubsubName;
    passthrough.time ??= new Date().toISOString();
    if (passthrough.traceid === undefined) {
      passthrough.traceid = input.traceparent;
      passthrough.traceparent = input.traceparent;
    }
    passthrough.tracestate ??= input.tracestate;
    passthrough.source ??= 'Dapr';
    passthrough.type ??= 'com.dapr.event.sent';
    passthrough.specversion ??= '1.0';
    if (expiration !== undefined) passthrough.expiration ??= expiration;
    // daprd re-marshals the decoded map with encoding/json (sorted keys); iterative, so any accepted depth encodes.
    return Buffer.from(goJsonStringify(passthrough));
  }
  const o = overrides(input.metadata);
  const traceparent = o.get('traceparent') ?? input.traceparent;
  const envelope: Record<string, unknown> = {
    id: o.get('id') || randomUUID(),
    specversion: '1.0',
    datacontenttype: input.contentType || 'text/plain',
    source: o.get('source') || input.appId || 'Dapr',
    type: o.get('type') || 'com.dapr.event.sent',
    topic: input.topic,
    pubsubname: input.pubsubName,
    traceid: o.has('traceparent') ? traceparent : (o.get('traceid') ?? traceparent),
    traceparent,
    tracestate: o.get('tracestate') ?? input.tracestate,
    time: new Date().toISOString(),
  };
  if (o.has('subject')) envelope.subject = o.get('subject');
  if (expiration !== undefined) envelope.expiration = expiration;
  return serializeCloudEvent(envelope, placeCloudEventData(envelope, input.data, input.contentType));
}
