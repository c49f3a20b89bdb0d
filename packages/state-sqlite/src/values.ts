/**
 * contrib's encoding: JSON values as their text (`is_binary = 0`), anything else as standard base64 (`is_binary = 1`).
 * Contract values are always bytes (daprd has already turned the HTTP API's JSON into bytes), so "is it JSON?" is
 * decided by parsing: what daprd's own component stores as JSON is stored as the same text here.
 */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8 = new TextEncoder();

export interface StoredValue {
  text: string;
  isBinary: 0 | 1;
}

export function encodeValue(bytes: Uint8Array): StoredValue {
  try {
    const text = strictUtf8.decode(bytes);
    JSON.parse(text);
    return { text, isBinary: 0 };
  } catch {
    return { text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), isBinary: 1 };
  }
}

/** `value` is the TEXT column as read (a string; a BLOB if another writer bound bytes). */
export function decodeValue(value: string | Uint8Array, isBinary: unknown): Uint8Array {
  const binary = isBinary === 1 || isBinary === 1n || isBinary === true || isBinary === '1' || isBinary === 'true';
  if (binary) {
    const text = typeof value === 'string' ? value : Buffer.from(value).toString('latin1');
    return new Uint8Array(Buffer.from(text, 'base64'));
  }
  return typeof value === 'string' ? utf8.encode(value) : new Uint8Array(value);
}

/**
 * SQLite's `YYYY-MM-DD HH:MM:SS` (UTC, what `CURRENT_TIMESTAMP`/`DATETIME()` write) as epoch ms. Also accepts the
 * forms Go's time.Time scanner accepts from other writers (`T` separator, fraction, `Z`/offset).
 */
export function parseSqliteTime(value: unknown): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number') return value * 1000;
  const text = String(value).trim();
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?$/i.exec(text);
  if (m === null) return undefined;
  const ms = Date.parse(`${m[1]}T${m[2]}${m[3] ?? 'Z'}`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** contrib formats `ttlExpireTime` as RFC 3339 in UTC with second precision. */
export function rfc3339Seconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
