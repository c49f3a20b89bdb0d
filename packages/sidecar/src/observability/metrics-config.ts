/**
 * Configuration `spec.metric` (alias `spec.metrics`, which wins) as daprd reads it (spec wave2 §5.2), merged with
 * `SidecarOptions.metrics`. Field-named errors; unknown fields ignored, as daprd does.
 */
import { isObject } from '../shared/json-fields.js';

/** daprd's default latency buckets (ms). */
export const DEFAULT_LATENCY_BUCKETS_MS: readonly number[] = [
  1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25, 30, 40, 50, 65, 80, 100, 130, 160, 200, 250, 300, 400, 500, 650, 800, 1000,
  2000, 5000, 10000, 20000, 50000, 100000,
];

/** daprkit binds the metrics port on loopback by default (daprd: 0.0.0.0). */
export const DEFAULT_METRICS = { enabled: true, port: 9090, host: '127.0.0.1' } as const;

export interface MetricsSettings {
  enabled: boolean;
  port: number;
  host: string;
  latencyBucketsMs: readonly number[];
  /** `http.increasedCardinality` (default true, as daprd 1.18). */
  increasedCardinality: boolean;
  /** `http.pathMatching` patterns such as `/orders/{id}`. */
  pathMatching: readonly string[];
  /** `http.excludeVerbs`: the `method` label is `""`. */
  excludeVerbs: boolean;
}

/** A Configuration boolean (YAML gives booleans; `"true"`/`"false"` strings are accepted too). */
export function configBool(value: unknown, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new Error(`Configuration ${field} must be a boolean, got ${JSON.stringify(value)}`);
}

/** `options` = SidecarOptions.metrics (the CLI flags); `spec` = the merged raw Configuration spec. */
export function metricsSettings(
  options: { enabled: boolean; port: number; host: string } | undefined,
  spec: Record<string, unknown>,
): MetricsSettings {
  const raw = spec.metrics ?? spec.metric;
  const field = spec.metrics !== undefined ? 'spec.metrics' : 'spec.metric';
  const section = raw === undefined || raw === null ? {} : raw;
  if (!isObject(section)) throw new Error(`Configuration ${field} must be an object`);
  const http = section.http ?? {};
  if (!isObject(http)) throw new Error(`Configuration ${field}.http must be an object`);
  const base = options ?? DEFAULT_METRICS;
  let latencyBucketsMs = DEFAULT_LATENCY_BUCKETS_MS;
  if (section.latencyDistributionBuckets !== undefined && section.latencyDistributionBuckets !== null) {
    const buckets = section.latencyDistributionBuckets;
    if (!Array.isArray(buckets) || !buckets.every((b) => typeof b === 'number' && Number.isFinite(b) && b > 0))
      throw new Error(`Configuration ${field}.latencyDistributionBuckets must be a list of positive numbers (ms)`);
    if (buckets.length > 0) latencyBucketsMs = [...new Set(buckets as number[])].sort((a, b) => a - b);
  }
  const pathMatching = http.pathMatching ?? [];
  if (!Array.isArray(pathMatching) || !pathMatching.every((p) => typeof p === 'string'))
    throw new Error(`Configuration ${field}.http.pathMatching must be a list of strings`);
  if (!Number.isInteger(base.port) || base.port < 0 || base.port > 65535)
    throw new Error(`metrics.port must be a port number, got ${base.port}`);
  return {
    enabled: base.enabled && configBool(section.enabled, `${field}.enabled`) !== false,
    port: base.port,
    host: base.host,
    latencyBucketsMs,
    increasedCardinality: configBool(http.increasedCardinality, `${field}.http.increasedCardinality`) ?? true,
    pathMatching: pathMatching as string[],
    excludeVerbs: configBool(http.excludeVerbs, `${field}.http.excludeVerbs`) ?? false,
  };
}
