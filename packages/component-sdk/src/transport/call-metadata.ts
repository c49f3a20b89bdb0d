/**
 * Extra gRPC metadata for the component calls a caller starts, without widening every component method: the
 * sidecar wraps one component call in `withCallMetadata(source, () => store.get(request))`, and any RPC that call
 * starts synchronously (a remote component's request is written before its first `await`) carries the pairs.
 * An RPC started later (after an `await`, e.g. a retry) simply goes without: the slot is never read outside the
 * synchronous window, so one call's metadata cannot leak onto another's.
 *
 * `source` is a function so that in-process components, which start no RPC, never pay for building the pairs.
 */
export type CallMetadataSource = () => readonly (readonly [string, string])[];

let current: CallMetadataSource | undefined;

export function withCallMetadata<T>(source: CallMetadataSource | undefined, call: () => T): T {
  if (source === undefined) return call();
  const previous = current;
  current = source;
  try {
    return call();
  } finally {
    current = previous;
  }
}

/** The pairs for an RPC being started now (lower-case names, `-bin` values base64); undefined outside a window. */
export function currentCallMetadata(): readonly (readonly [string, string])[] | undefined {
  return current?.();
}
