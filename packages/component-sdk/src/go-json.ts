/**
 * Go `encoding/json` output, for components whose responses contrib builds with `json.Marshal`: object keys sorted
 * by UTF-8 bytes, `<`, `>`, `&`, U+2028 and U+2029 escaped, numbers formatted as Go formats float64 (which is how
 * JavaScript formats them). `GoJsonRaw` carries an already-encoded fragment verbatim: a number token a float64
 * would round (an int8 or numeric column), or a Go struct whose fields keep their declaration order.
 */

/** Encoded JSON written as is, e.g. `9007199254740993`, `12.340` or `{"Microseconds":1,"Valid":true}`. */
export class GoJsonRaw {
  constructor(readonly text: string) {}

  /** A number token, checked to be one. */
  static number(text: string): GoJsonRaw {
    if (!/^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/.test(text)) throw new TypeError(`not a JSON number: '${text}'`);
    return new GoJsonRaw(text);
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const ESCAPED = /[<>&\u2028\u2029]/g;
const ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** A Go-quoted JSON string. */
export function goJsonQuote(text: string): string {
  // Go replaces invalid UTF-8 (a lone surrogate here) with U+FFFD.
  return JSON.stringify(text.replace(LONE_SURROGATE, '\ufffd')).replace(ESCAPED, (c) => ESCAPES[c]!);
}

// Go sorts map keys by their UTF-8 bytes; UTF-16 order differs only around surrogate pairs.
function compareKeys(a: string, b: string): number {
  if (/[\ud800-\uffff]/.test(a + b)) return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Encodes `value` as Go's `json.Marshal` would encode the equivalent `any` value. Non-finite numbers throw, as
 * they do in Go (`json: unsupported value: NaN`); `undefined` and functions encode as `null`.
 */
export function goJsonStringify(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return goJsonQuote(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`json: unsupported value: ${goFloatName(value)}`);
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value instanceof GoJsonRaw) return value.text;
      if (Array.isArray(value)) return `[${value.map(goJsonStringify).join(',')}]`;
      const record = value as Record<string, unknown>;
      const entries = Object.keys(record)
        .sort(compareKeys)
        .map((key) => `${goJsonQuote(key)}:${goJsonStringify(record[key])}`);
      return `{${entries.join(',')}}`;
    }
    default:
      return 'null';
  }
}

function goFloatName(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? '+Inf' : '-Inf';
}
