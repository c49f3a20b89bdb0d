import { InvalidArgumentError, type Metadata, tryGetBindingTtlMs } from '@daprkit/component-sdk';

/** Case-insensitive lookup: the exact key first, then any casing (as contrib's request-metadata helpers). */
export function metadataValue(metadata: Metadata, key: string): string | undefined {
  const exact = metadata[key];
  if (exact !== undefined) return exact;
  const lower = key.toLowerCase();
  for (const [name, value] of Object.entries(metadata)) if (name.toLowerCase() === lower) return value;
  return undefined;
}

/**
 * Dapr's TTL helper (`TryGetTTL`, component-sdk's `tryGetBindingTtlMs`): `ttl`, else `ttlInSeconds` (any casing); a
 * Go duration (negative → 0) or an integer number of seconds > 0. Milliseconds, or undefined when neither is set.
 */
export const parseTtlMs = (metadata: Metadata): number | undefined => tryGetBindingTtlMs(metadata);

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
