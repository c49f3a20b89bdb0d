/**
 * Lazy loading, so that start-up pays only for what the configuration uses (issue 13: spawn → healthz and RSS).
 *
 * A dependency that only some configurations need (a YAML parser, grpc-js for `--app-protocol grpc`, OpenTelemetry
 * when tracing is on, prom-client when metrics are on, a component package) is imported through `lazy` instead of
 * a top-level `import`:
 *
 * ```ts
 * const otel = lazy(() => import('@opentelemetry/api'));
 * // at start-up, only when the configuration asks for it:
 * const { trace } = await otel();
 * // on a hot path, with no await and no cost when it was never loaded:
 * otel.value?.trace.getActiveSpan();
 * ```
 *
 * Keep type-only imports (`import type`) at the top: they cost nothing at run time. The first call starts the
 * import; every later call shares it. A failed import is not cached, so a later call tries again.
 */
export interface Lazy<T> {
  (): Promise<T>;
  /** The loaded value once the first call has resolved; undefined before (never triggers a load). */
  readonly value: T | undefined;
}

export function lazy<T>(load: () => Promise<T>): Lazy<T> {
  let pending: Promise<T> | undefined;
  let value: T | undefined;
  const get = (() =>
    (pending ??= load().then(
      (loaded) => {
        value = loaded;
        return loaded;
      },
      (error: unknown) => {
        pending = undefined;
        throw error;
      },
    ))) as Lazy<T>;
  Object.defineProperty(get, 'value', { get: () => value });
  return get;
}
