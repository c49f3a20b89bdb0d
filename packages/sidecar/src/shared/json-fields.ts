/** Tiny predicates and lookups over decoded JSON and metadata maps, matched the way daprd's Go decoder matches names. */

/** A JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The key that `name` matches: the exact key if present, else the first key equal ignoring case. */
export function fieldKey(object: Readonly<Record<string, unknown>>, name: string): string | undefined {
  if (Object.hasOwn(object, name)) return name;
  const lower = name.toLowerCase();
  return Object.keys(object).find((key) => key.toLowerCase() === lower);
}

/** A field looked up case-insensitively, as Go's JSON decoder matches struct fields (exact name first). */
export function field<T>(object: Readonly<Record<string, T>>, name: string): T | undefined {
  const key = fieldKey(object, name);
  return key === undefined ? undefined : object[key];
}
