/**
 * contrib's document values. daprd hands its own component decoded JSON from the HTTP API (objects → embedded
 * documents, numbers → doubles, booleans, null; strings → the Go-quoted text) and raw bytes from gRPC (→ a BSON string
 * of those bytes). A pluggable component only ever sees bytes, so the JSON is recovered by parsing:
 *
 * - a JSON object / array / number / boolean / null → the same BSON value daprd's component writes (numbers always
 *   as doubles, like Go's float64), so documents stay queryable and a daprd replica reads the same data;
 * - anything else that is UTF-8 (a JSON string, plain text) → a BSON string of the bytes **verbatim**: a JSON string
 *   keeps its quotes, as contrib's `%q` form does, and reads back byte-exact;
 * - bytes that are not UTF-8 (BSON strings cannot carry them) → BSON binary, read back byte-exact.
 *
 * Reads mirror contrib: a string is returned verbatim; documents and arrays as compact JSON with object keys sorted
 * (Go's map order); other values as JSON.
 */
import { Binary, Double } from 'mongodb';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8 = new TextEncoder();

function toBson(value: unknown): unknown {
  if (typeof value === 'number') return new Double(value);
  if (Array.isArray(value)) return value.map(toBson);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toBson(v);
    return out;
  }
  return value;
}

export function encodeValue(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return new Binary(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text;
  }
  return typeof parsed === 'string' ? text : toBson(parsed);
}

/** Plain JSON data out of what the driver decoded (doubles/ints arrive as numbers with promoteValues). */
function toPlain(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Binary) return Buffer.from(value.buffer).toString('base64');
  if (typeof value === 'object') {
    const bsontype = (value as { _bsontype?: string })._bsontype;
    if (bsontype === 'Double' || bsontype === 'Int32') return Number((value as { valueOf(): number }).valueOf());
    if (bsontype === 'Long') return Number(value.toString());
    if (bsontype !== undefined) return String(value);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = toPlain((value as Record<string, unknown>)[key]);
    return out;
  }
  if (typeof value === 'bigint') return Number(value);
  return value;
}

export function decodeValue(value: unknown): Uint8Array {
  if (typeof value === 'string') return utf8.encode(value);
  if (value instanceof Binary) return new Uint8Array(value.buffer);
  return utf8.encode(JSON.stringify(toPlain(value)));
}

/** contrib formats `ttlExpireTime` as RFC 3339 in UTC with second precision. */
export function rfc3339Seconds(date: Date): string {
  return new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
