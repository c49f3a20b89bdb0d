/**
 * One resolved policy (timeout, retry, circuit breaker) and how it runs an operation, in daprd's order
 * (pkg/resiliency/policy.go): the retry loop is outermost, each attempt goes through the breaker, and the timeout
 * bounds each attempt.
 */
import { formatDuration, type Logger } from '@daprkit/component-sdk';
import { type CircuitBreaker, CircuitBreakerError } from './breaker.js';
import { CodeError, codeNeedsRetry, newBackoff, type RetrySpec } from './retry.js';

/** An attempt ran longer than the policy's timeout (daprd: the context deadline). */
export class PolicyTimeoutError extends Error {
  override name = 'PolicyTimeoutError';
  constructor() {
    super('context deadline exceeded');
  }
}

/** Thrown by an operation to stop retrying at once (backoff.Permanent in daprd). */
export class PermanentError extends Error {
  override name = 'PermanentError';
  constructor(readonly error: unknown) {
    super(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/** daprd's policy types in its resiliency metrics. */
export type PolicyKind = 'timeout' | 'retry' | 'circuitbreaker';

/** The metrics of one policy (daprd's `resiliency/count` and `resiliency/activations_total`). */
export interface PolicyObserver {
  /** Once per run, for each kind the policy has (`status`: the breaker's state, else empty). */
  executed(kind: PolicyKind, status: string): void;
  /** A timeout fired, a retry was scheduled (breaker state changes are reported by the breaker). */
  activated(kind: PolicyKind, status: string): void;
}

export interface PolicyDefinition {
  /** For logs: `component[<name>] output`, `endpoint[<app>, <key>]`, a built-in's name. */
  name: string;
  timeoutMs: number;
  retry?: RetrySpec;
  breaker?: CircuitBreaker;
  observer?: PolicyObserver;
}

/** Runs `operation` (given the 1-based attempt number) under the policy. */
export type PolicyRunner = <T>(operation: (attempt: number) => Promise<T>) => Promise<T>;

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return new Promise((resolve) => setTimeout(resolve, ms));
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: (() => void) | undefined): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new PolicyTimeoutError());
    }, ms);
  });
  // The component call cannot be cancelled (no context); a late result is dropped, a late failure swallowed.
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function isPolicyDefined(policy: PolicyDefinition): boolean {
  return policy.timeoutMs > 0 || policy.retry !== undefined || policy.breaker !== undefined;
}

/** `signal`: once aborted (sidecar shutdown), no further retry starts and the last error is returned. */
export function policyRunner(policy: PolicyDefinition, logger: Logger, signal?: AbortSignal): PolicyRunner {
  const run = unobservedRunner(policy, logger, signal);
  const { observer, timeoutMs, retry, breaker } = policy;
  if (observer === undefined) return run;
  return (operation) => {
    if (timeoutMs > 0) observer.executed('timeout', '');
    if (retry !== undefined) observer.executed('retry', '');
    if (breaker !== undefined) observer.executed('circuitbreaker', breaker.state);
    return run(operation);
  };
}

function unobservedRunner(policy: PolicyDefinition, logger: Logger, signal?: AbortSignal): PolicyRunner {
  const { timeoutMs, retry, breaker, observer } = policy;
  const onTimeout = observer === undefined ? undefined : () => observer.activated('timeout', '');
  const attemptOnce = <T>(operation: (attempt: number) => Promise<T>, attempt: number): Promise<T> => {
    const timed =
      timeoutMs > 0 ? () => withTimeout(operation(attempt), timeoutMs, onTimeout) : () => operation(attempt);
    return breaker ? breaker.execute(timed) : timed();
  };
  if (retry === undefined) return (operation) => attemptOnce(operation, 1);
  return async <T>(operation: (attempt: number) => Promise<T>): Promise<T> => {
    const backoff = newBackoff(retry);
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await attemptOnce(operation, attempt);
        if (attempt > 1) logger.info(`Recovered processing operation ${policy.name} after ${attempt} attempts`);
        return result;
      } catch (error) {
        if (error instanceof PermanentError) throw error.error;
        if (error instanceof CircuitBreakerError) throw error;
        if (error instanceof CodeError && !codeNeedsRetry(retry, error.statusCode)) throw error;
        const delay = signal?.aborted ? undefined : backoff();
        if (delay === undefined) throw error;
        observer?.activated('retry', '');
        logger.warn(`Error processing operation ${policy.name}. Retrying in ${formatDuration(delay)}…`);
        logger.debug(
          `Error for operation ${policy.name} was: ${error instanceof Error ? error.message : String(error)}`,
        );
        await sleep(delay, signal);
        if (signal?.aborted) throw error;
      }
    }
  };
}
