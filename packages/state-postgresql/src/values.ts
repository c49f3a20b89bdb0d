/**
 * contrib v1's value encoding: JSON goes into the `jsonb` column as is; anything else is stored as a base64 JSON
 * string with `isbinary = true`. A value the sidecar marks `binary` (a gRPC save) is always stored as base64, as
 * daprd's gRPC API hands contrib `[]byte`; other values are bytes too, so "is it JSON?" is decided by parsing them.
 */
import { ETagInvalidError } from '@daprkit/component-sdk';

export interface StoredValue {
  /** Text for the `value jsonb` column. */
  json: string;
  isBinary: boolean;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8 = new TextEncoder();

// JSON that JSON.parse accepts but jsonb rejects: \u0000 and unpaired surrogates (only reachable through \u escapes,
// since the text is valid UTF-8), and numbers beyond the numeric type's exponent range. Erring towards "binary" is
// harmless: binary round-trips byte-exact.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const JSON_STRING = /"(?:[^"\\]|\\.)*"/g;
const HUGE_EXPONENT = /[eE][+-]?0*\d{5}/;

const isUnsupportedText = (text: string) => text.includes('\0') || LONE_SURROGATE.test(text);

function hasUnsupportedText(value: unknown): boolean {
  if (typeof value === 'string') return isUnsupportedText(value);
  if (Array.isArray(value)) return value.some(hasUnsupportedText);
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([key, item]) => isUnsupportedText(key) || hasUnsupportedText(item));
}

function jsonbText(bytes: Uint8Array): string | undefined {
  let text: string;
  let value: unknown;
  try {
    text = strictUtf8.decode(bytes);
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  // Exponents are only a problem in numbers, not in strings that happen to contain `e12345`.
  if (HUGE_EXPONENT.test(text) && HUGE_EXPONENT.test(text.replace(JSON_STRING, '""'))) return undefined;
  if (text.includes('\\u') && hasUnsupportedText(value)) return undefined;
  return text;
}

/** `binary` (SetRequest.binary, a gRPC save): base64 whatever the bytes, as contrib stores daprd's `[]byte`. */
export function encodeValue(bytes: Uint8Array, binary = false): StoredValue {
  const json = binary ? undefined : jsonbText(bytes);
  if (json !== undefined) return { json, isBinary: false };
  return {
    json: JSON.stringify(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')),
    isBinary: true,
  };
}

/** `json` is the column's text output: jsonb's normalized JSON, or the quoted base64 of a binary value. */
export function decodeValue(json: string, isBinary: boolean): Uint8Array {
  if (!isBinary) return utf8.encode(json);
  return new Uint8Array(Buffer.from(JSON.parse(json) as string, 'base64'));
}

const MAX_XID = 2 ** 32 - 1;

/** ETags are the row's `xmin` (a uint32 transaction id) in decimal; anything else is invalid. */
export function parseETag(etag: string): string {
  const n = /^\d{1,10}$/.test(etag) ? Number(etag) : Number.NaN;
  if (!(n <= MAX_XID)) throw new ETagInvalidError(`invalid etag value: '${etag}' is not an unsigned 32-bit integer`);
  return String(n);
}
