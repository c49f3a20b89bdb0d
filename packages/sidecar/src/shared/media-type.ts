/** Content types as daprd compares them: by media type only (parameters dropped), case-insensitively. */

export const CLOUDEVENT_CONTENT_TYPE = 'application/cloudevents+json';

/** `Application/JSON; charset=utf-8` → `application/json`; `''` for an empty content type. */
export function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

export function isCloudEventContentType(contentType: string): boolean {
  return mediaType(contentType) === CLOUDEVENT_CONTENT_TYPE;
}

/** `application/json` or any `+json` suffix. */
export function isJsonContentType(contentType: string): boolean {
  const media = mediaType(contentType);
  return media === 'application/json' || media.endsWith('+json');
}

/** Payloads carried as `data_base64` in a CloudEvent. */
export function isBinaryContentType(contentType: string): boolean {
  const media = mediaType(contentType);
  return media === 'application/octet-stream' || media === 'application/cloudevents+protobuf';
}

/** `text/*` and `application/xml`: payloads that travel as strings. */
export function isTextContentType(contentType: string): boolean {
  const media = mediaType(contentType);
  return media.startsWith('text/') || media === 'application/xml';
}
