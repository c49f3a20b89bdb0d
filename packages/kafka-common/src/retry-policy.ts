/** dapr/kit's retry policy (`backOff*` metadata), as contrib applies it to messages a handler rejected. */
export interface RetryPolicy {
  policy: 'constant' | 'exponential';
  /** Constant policy: the wait before every redelivery. */
  durationMs: number;
  initialIntervalMs: number;
  randomizationFactor: number;
  multiplier: number;
  maxIntervalMs: number;
  /** Exponential policy: stop once this long has passed since the first failure; 0 = never. */
  maxElapsedMs: number;
  /** Redeliveries before giving up; -1 = unlimited. */
  maxRetries: number;
}

/**
 * The wait before redelivering a message after its `failures`-th rejection (≥ 1), or undefined to give up.
 * `random` is injectable so the jitter of the exponential policy can be tested.
 */
export function redeliveryDelayMs(
  policy: RetryPolicy,
  failures: number,
  elapsedMs: number,
  random: () => number = Math.random,
): number | undefined {
  if (policy.maxRetries >= 0 && failures > policy.maxRetries) return undefined;
  if (policy.policy === 'constant') return policy.durationMs;
  if (policy.maxElapsedMs > 0 && elapsedMs >= policy.maxElapsedMs) return undefined;
  const interval = Math.min(policy.initialIntervalMs * policy.multiplier ** (failures - 1), policy.maxIntervalMs);
  const spread = interval * policy.randomizationFactor;
  return Math.round(interval - spread + random() * 2 * spread);
}
