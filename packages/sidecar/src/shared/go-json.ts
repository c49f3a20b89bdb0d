/**
 * Go compatibility: `encoding/json` output and `strconv.ParseBool`.
 *
 * daprd decodes an HTTP state value into `interface{}` and re-encodes it with
 * `encoding/json`, so sidecars sharing a store must produce the same bytes: object keys sorted (by UTF-8 bytes),
 * `<`, `>`, `&`, U+2028 and U+2029 escaped, numbers as float64 (JS and Go format float64 alike).
 */

// One encoder for the SDK and the sidecar: iterative (no depth exhausts the stack), `-0` and lone surrogates as Go
// writes them. Values decoded from JSON are always finite, so its NaN error cannot happen here.
import { goJsonStringify } from '@daprkit/component-sdk';

export { goJsonStringify, jsonDepthExceeds, MAX_JSON_DEPTH, parseJsonBounded } from '@daprkit/component-sdk';

export function goJsonBytes(value: unknown): Buffer {
  return Buffer.from(goJsonStringify(value));
}

/** Go's strconv.ParseBool: undefined when the text is not one of Go's spellings. */
export function parseGoBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}
