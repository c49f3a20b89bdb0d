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
 * Go's `encoding/json` nesting limit (`maxNestingDepth`): documents nested deeper are refused when decoding, so
 * daprd answers them with a 400. Parsers of request bodies check it with jsonDepthExceeds before JSON.parse.
 */
export const MAX_JSON_DEPTH = 10_000;

/**
 * Whether JSON `text` nests arrays/objects deeper than `limit`: one pass over the text, skipping strings. Cheap
 * enough for every request body; it does not validate the syntax (JSON.parse does that afterwards).
 */
export function jsonDepthExceeds(text: string, limit = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > limit) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return false;
}

/** JSON.parse, refusing documents nested deeper than Go's limit (message as Go's decoder words it). */
export function parseJsonBounded(text: string, limit = MAX_JSON_DEPTH): unknown {
  if (jsonDepthExceeds(text, limit))
    throw new SyntaxError(`exceeded max depth (JSON nested more than ${limit} levels)`);
  return JSON.parse(text);
}

function scalar(value: unknown): string {
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
    default:
      return 'null';
  }
}

/** An array or object being encoded: its members in output order and the next one to write. */
interface Frame {
  array: boolean;
  record: Record<string, unknown> | unknown[];
  keys: string[] | undefined;
  next: number;
}

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return typeof value === 'object' && value !== null && !(value instanceof GoJsonRaw);
}

function open(value: Record<string, unknown> | unknown[], out: string[]): Frame {
  const array = Array.isArray(value);
  out.push(array ? '[' : '{');
  return { array, record: value, keys: array ? undefined : Object.keys(value).sort(compareKeys), next: 0 };
}

/**
 * Encodes `value` as Go's `json.Marshal` would encode the equivalent `any` value. Non-finite numbers throw, as
 * they do in Go (`json: unsupported value: NaN`); `undefined` and functions encode as `null`. Iterative, so any
 * depth JSON.parse accepted encodes without exhausting the call stack.
 */
export function goJsonStringify(value: unknown): string {
  if (!isContainer(value)) return value instanceof GoJsonRaw ? value.text : scalar(value);
  const out: string[] = [];
  const stack: Frame[] = [open(value, out)];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const length = frame.keys ? frame.keys.length : (frame.record as unknown[]).length;
    if (frame.next >= length) {
      out.push(frame.array ? ']' : '}');
      stack.pop();
      continue;
    }
    const index = frame.next++;
    if (index > 0) out.push(',');
    let member: unknown;
    if (frame.keys) {
      const key = frame.keys[index]!;
      out.push(goJsonQuote(key), ':');
      member = (frame.record as Record<string, unknown>)[key];
    } else {
      member = (frame.record as unknown[])[index];
    }
    if (member instanceof GoJsonRaw) out.push(member.text);
    else if (isContainer(member)) stack.push(open(member, out));
    else out.push(scalar(member));
  }
  return out.join('');
}

function goFloatName(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? '+Inf' : '-Inf';
}
