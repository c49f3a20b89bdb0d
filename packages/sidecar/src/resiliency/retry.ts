/**
 * Retry policies as dapr/kit's retry.Config and cenkalti/backoff build them: constant (`duration` apart) or
 * exponential (500 ms initial, ×1.5, ±50 % jitter, capped at `maxInterval`, 15 min total), at most `maxRetries`
 * retries (−1 = unlimited), plus the status-code `matching` lists (pkg/resiliency/retry.go).
 */

export interface RetrySpec {
  policy: 'constant' | 'exponential';
  durationMs: number;
  maxIntervalMs: number;
  /** −1 = unlimited, 0 = never retry. */
  maxRetries: number;
  /** Fixed for user policies; only the built-ins set other values. */
  initialIntervalMs: number;
  multiplier: number;
  randomization: number;
  maxElapsedMs: number;
  /** Undefined = retry every code. */
  httpStatusCodes?: CodeRange[];
  grpcStatusCodes?: CodeRange[];
}

export type CodeRange = readonly [start: number, end: number];

/** dapr/kit retry.DefaultConfig(). */
export const RETRY_DEFAULTS: RetrySpec = {
  policy: 'constant',
  durationMs: 5000,
  maxIntervalMs: 60_000,
  maxRetries: -1,
  initialIntervalMs: 500,
  multiplier: 1.5,
  randomization: 0.5,
  maxElapsedMs: 15 * 60_000,
};

const HTTP_CODES: CodeRange = [100, 599];
const GRPC_CODES: CodeRange = [0, 16];

/**
 * An error with the status the remote side answered (an HTTP status or a gRPC code). Policies with `matching`
 * retry it only when the code is listed; codes 0–16 are read as gRPC codes, 100–599 as HTTP statuses, as daprd does.
 */
export class CodeError extends Error {
  override name = 'CodeError';
  constructor(
    readonly statusCode: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `"500,502-504"` → ranges; throws daprd's texts on a bad pattern. */
export function parseCodeList(patterns: string, kind: 'http' | 'grpc'): CodeRange[] | undefined {
  if (patterns === '') return undefined;
  const valid = kind === 'http' ? HTTP_CODES : GRPC_CODES;
  const inRange = (c: number) => c >= valid[0] && c <= valid[1];
  const ranges: CodeRange[] = [];
  for (const pattern of patterns.split(',')) {
    if (pattern === '') continue;
    const parts = pattern.split('-');
    if (parts.length > 2) throw new Error(`invalid pattern ${pattern}, more than one '-' exists`);
    const [start, end] = [parts[0]!, parts[1] ?? parts[0]!].map((p) => (/^[+-]?\d+$/.test(p) ? Number(p) : Number.NaN));
    if (!Number.isInteger(start) || !inRange(start!))
      throw new Error(`invalid pattern ${pattern}, start code ${parts[0]} is not valid`);
    if (!Number.isInteger(end) || !inRange(end!))
      throw new Error(`invalid pattern ${pattern}, end code ${parts[1] ?? parts[0]} is not valid`);
    if (end! < start!) throw new Error(`invalid pattern ${pattern}, start value should not bigger than end value`);
    ranges.push([start!, end!]);
  }
  return ranges;
}

const matches = (code: number, ranges: readonly CodeRange[] | undefined) =>
  ranges === undefined || ranges.some(([start, end]) => code >= start && code <= end);

/** Whether a CodeError with this status may be retried under `spec`'s matching lists. */
export function codeNeedsRetry(spec: RetrySpec, code: number): boolean {
  if (code >= GRPC_CODES[0] && code <= GRPC_CODES[1]) return matches(code, spec.grpcStatusCodes);
  if (code >= HTTP_CODES[0] && code <= HTTP_CODES[1]) return matches(code, spec.httpStatusCodes);
  return false;
}

/** One run's back-off: the delay before the next retry in ms, or undefined when no retry is left. */
export type Backoff = () => number | undefined;

export function newBackoff(spec: RetrySpec, random: () => number = Math.random): Backoff {
  let retries = 0;
  const started = Date.now();
  let interval = spec.initialIntervalMs;
  return () => {
    if (spec.maxRetries >= 0 && retries >= spec.maxRetries) return undefined;
    retries++;
    if (spec.policy === 'constant') return spec.durationMs;
    // cenkalti/backoff v4 ExponentialBackOff.NextBackOff.
    const delta = spec.randomization * interval;
    const next = interval - delta + random() * (2 * delta + 1);
    interval = interval >= spec.maxIntervalMs / spec.multiplier ? spec.maxIntervalMs : interval * spec.multiplier;
    if (spec.maxElapsedMs > 0 && Date.now() - started + next > spec.maxElapsedMs) return undefined;
    return Math.floor(next);
  };
}
