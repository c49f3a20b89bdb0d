/**
 * JSON → flat secret names. Nested object keys and array indexes are joined with the separator (`db:user`,
 * `hosts:0`). Non-string leaves become their JSON text (`42`, `true`, `null`); contrib prints Go's `%!s(...)`.
 */

/** Two JSON paths flatten to the same name, e.g. `{"a:b": 1, "a": {"b": 2}}`; contrib keeps one silently. */
export class DuplicateSecretNameError extends Error {
  constructor(readonly secretName: string) {
    super(`secret name '${secretName}' occurs twice after flattening`);
  }
}

export function flattenJson(value: unknown, separator: string, prefix = '', into: Record<string, string> = {}) {
  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      flattenJson(child, separator, prefix === '' ? key : `${prefix}${separator}${key}`, into);
    }
    return into;
  }
  if (Object.hasOwn(into, prefix)) throw new DuplicateSecretNameError(prefix);
  into[prefix] = typeof value === 'string' ? value : JSON.stringify(value);
  return into;
}
