/**
 * The `value JSON` / `isbinary` column pair. JSON values are stored as JSON text so other readers (SQL, Go
 * sidecars) see documents; anything else is stored the way contrib stores bytes: a base64 JSON string with
 * `isbinary = true`.
 */

// fatal: reject invalid UTF-8 rather than replace it; ignoreBOM: keep a BOM so it makes the bytes non-JSON.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

export interface StoredValue {
  text: string;
  isBinary: boolean;
}

function asJsonText(bytes: Uint8Array): string | undefined {
  try {
    const text = strictUtf8.decode(bytes);
    JSON.parse(text);
    return text;
  } catch {
    return undefined;
  }
}

/** `binary` (SetRequest.binary, a gRPC save): base64 whatever the bytes, as contrib stores daprd's `[]byte`. */
export function encodeValue(bytes: Uint8Array, binary = false): StoredValue {
  const text = binary ? undefined : asJsonText(bytes);
  if (text !== undefined) return { text, isBinary: false };
  return { text: JSON.stringify(Buffer.from(bytes).toString('base64')), isBinary: true };
}

/** Byte-exact inverse of encodeValue (MySQL 8 may re-format JSON text; MariaDB keeps it verbatim). */
export function decodeValue(text: string, isBinary: boolean | number): Uint8Array {
  if (!isBinary) return encoder.encode(text);
  return new Uint8Array(Buffer.from(JSON.parse(text) as string, 'base64'));
}
