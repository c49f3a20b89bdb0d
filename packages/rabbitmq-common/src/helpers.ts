import { InvalidArgumentError, type Metadata, parseDuration } from '@daprkit/component-sdk';

/** Case-insensitive lookup: the exact key first, then any casing (as contrib's request-metadata helpers). */
export function metadataValue(metadata: Metadata, key: string): string | undefined {
  const exact = metadata[key];
  if (exact !== undefined) return exact;
  const lower = key.toLowerCase();
  for (const [name, value] of Object.entries(metadata)) if (name.toLowerCase() === lower) return value;
  return undefined;
}

/**
 * Dapr's TTL helper (`TryGetTTL`): `ttl`, else `ttlInSeconds` (any casing). A Go duration (`30s`, `1h`) or an
 * integer number of seconds, which must be > 0. Returns milliseconds, or undefined when neither key is set.
 * A negative duration string becomes 0 (as upstream).
 */
export function parseTtlMs(metadata: Metadata): number | undefined {
  for (const key of ['ttl', 'ttlInSeconds']) {
    const raw = metadataValue(metadata, key);
    if (raw === undefined || raw === '') continue;
    const text = raw.trim();
    if (/^[-+]?\d+$/.test(text)) {
      const seconds = Number(text);
      if (seconds <= 0) throw new InvalidArgumentError(`${key}: ttl value must be higher than zero`);
      return seconds * 1000;
    }
    const ms = parseDuration(text, 'seconds');
    if (ms === undefined) {
      throw new InvalidArgumentError(`${key}: expected a duration like '30s' or an integer number of seconds`);
    }
    return Math.max(0, Math.floor(ms));
  }
  return undefined;
}

/** Dapr's priority helper (`TryGetPriority`): metadata `priority`, an integer clamped to 0–255. */
export function parsePriority(metadata: Metadata): number | undefined {
  const raw = metadataValue(metadata, 'priority');
  if (raw === undefined || raw === '') return undefined;
  if (!/^[-+]?\d+$/.test(raw.trim())) {
    throw new InvalidArgumentError(`priority: expected an integer between 0 and 255, got '${raw}'`);
  }
  return Math.min(255, Math.max(0, Number(raw.trim())));
}

/** AMQP message properties a publish request can set through metadata (contrib's `ApplyMetadataToPublishing`). */
export interface PublishProperties {
  messageId?: string;
  correlationId?: string;
  type?: string;
  contentType?: string;
}

/** `messageID`, `correlationID`, `type`, `contentType` from request metadata (exact case first, then any). */
export function publishPropertiesOf(metadata: Metadata): PublishProperties {
  const out: PublishProperties = {};
  const messageId = metadataValue(metadata, 'messageID');
  if (messageId) out.messageId = messageId;
  const correlationId = metadataValue(metadata, 'correlationID');
  if (correlationId) out.correlationId = correlationId;
  const type = metadataValue(metadata, 'type');
  if (type) out.type = type;
  const contentType = metadataValue(metadata, 'contentType');
  if (contentType) out.contentType = contentType;
  return out;
}

/** A header value as text: strings and bytes as they are, anything else as Go's `%v` would roughly print it. */
export function headerText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString();
  if (typeof value === 'object' && value !== null && 'value' in value)
    return headerText((value as { value: unknown }).value);
  return String(value);
}
