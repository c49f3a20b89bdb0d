/**
 * Go compatibility: `encoding/json` output and `strconv.ParseBool`.
 *
 * Go-compatible JSON encoding. daprd decodes an HTTP state value into `interface{}` and re-encodes it with
 * `encoding/json`, so sidecars sharing a store must produce the same bytes: object keys sorted (by UTF-8 bytes),
 * `<`, `>`, `&`, U+2028 and U+2029 escaped, numbers as float64 (JS and Go format float64 alike).
 */

const ESCAPED = /[<>&\u2028\u2029]/g;
const ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

function quote(text: string): string {
  return JSON.stringify(text).replace(ESCAPED, (c) => ESCAPES[c]!);
}

// Go sorts map keys by their UTF-8 bytes; UTF-16 order differs only around surrogate pairs.
function compareKeys(a: string, b: string): number {
  if (/[\ud800-\uffff]/.test(a + b)) return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return a < b ? -1 : a > b ? 1 : 0;
}

export function goJsonStringify(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(goJsonStringify).join(',')}]`;
      const entries = Object.keys(value)
        .sort(compareKeys)
        .map((key) => `${quote(key)}:${goJsonStringify((value as Record<string, unknown>)[key])}`);
      return `{${entries.join(',')}}`;
    }
    default:
      return 'null';
  }
}

export function goJsonBytes(value: unknown): Buffer {
  return Buffer.from(goJsonStringify(value));
}

/** Go's strconv.ParseBool: undefined when the text is not one of Go's spellings. */
export function parseGoBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}
