/**
 * A circuit breaker with sony/gobreaker's semantics, as daprd uses it (pkg/resiliency/breaker): closed counts
 * outcomes and opens when `trip` says so; open fails fast until `timeout`; half-open lets `maxRequests` calls
 * through and closes after that many consecutive successes (one failure re-opens). Outcomes of calls that started in
 * an earlier generation (before a state change or an `interval` reset) are ignored.
 */
import type { Logger } from '@daprkit/component-sdk';
import type { BreakerCounts, TripFunction } from './trip-expression.js';

export type BreakerState = 'closed' | 'half-open' | 'open';

/** Fails fast without calling the operation; never retried. */
export class CircuitBreakerError extends Error {
  override name = 'CircuitBreakerError';
}

export const OPEN_STATE_MESSAGE = 'circuit breaker is open';
export const TOO_MANY_REQUESTS_MESSAGE = 'too many requests';

export interface BreakerSpec {
  /** Requests allowed while half-open (0 → 1). */
  maxRequests: number;
  /** Closed-state count reset period in ms; 0 = never. */
  intervalMs: number;
  /** Open → half-open after this many ms (0 → 60 s). */
  timeoutMs: number;
  /** Undefined = more than 5 consecutive failures. */
  trip?: TripFunction;
}

const defaultTrip: TripFunction = (counts) => counts.consecutiveFailures > 5;

export class CircuitBreaker {
  private stateValue: BreakerState = 'closed';
  private generation = 0;
  private expiry = 0;
  private readonly counts: BreakerCounts = {
    requests: 0,
    totalSuccesses: 0,
    totalFailures: 0,
    consecutiveSuccesses: 0,
    consecutiveFailures: 0,
  };
  private readonly maxRequests: number;
  private readonly timeoutMs: number;
  private readonly trip: TripFunction;

  constructor(
    readonly name: string,
    private readonly spec: BreakerSpec,
    private readonly logger: Logger,
    private readonly onStateChange?: (from: BreakerState, to: BreakerState) => void,
  ) {
    this.maxRequests = spec.maxRequests > 0 ? spec.maxRequests : 1;
    this.timeoutMs = spec.timeoutMs > 0 ? spec.timeoutMs : 60_000;
    this.trip = spec.trip ?? defaultTrip;
    this.newGeneration(Date.now());
  }

  get state(): BreakerState {
    return this.current(Date.now());
  }

  async execute<T>(operation: () => Promise<T>): Promise<T> {
    const generation = this.before();
    let result: T;
    try {
      result = await operation();
    } catch (error) {
      this.after(generation, false);
      throw error;
    }
    this.after(generation, true);
    return result;
  }

  private before(): number {
    const state = this.current(Date.now());
    if (state === 'open') throw new CircuitBreakerError(OPEN_STATE_MESSAGE);
    if (state === 'half-open' && this.counts.requests >= this.maxRequests)
      throw new CircuitBreakerError(TOO_MANY_REQUESTS_MESSAGE);
    this.counts.requests++;
    return this.generation;
  }

  private after(before: number, success: boolean): void {
    const now = Date.now();
    const state = this.current(now);
    if (this.generation !== before) return;
    const c = this.counts;
    if (success) {
      c.totalSuccesses++;
      c.consecutiveSuccesses++;
      c.consecutiveFailures = 0;
      if (state === 'half-open' && c.consecutiveSuccesses >= this.maxRequests) this.setState('closed', now);
    } else {
      c.totalFailures++;
      c.consecutiveFailures++;
      c.consecutiveSuccesses = 0;
      if (state === 'half-open' || (state === 'closed' && this.trip(c))) this.setState('open', now);
    }
  }

  private current(now: number): BreakerState {
    if (this.stateValue === 'closed' && this.expiry !== 0 && this.expiry < now) this.newGeneration(now);
    else if (this.stateValue === 'open' && this.expiry < now) this.setState('half-open', now);
    return this.stateValue;
  }

  private setState(to: BreakerState, now: number): void {
    const from = this.stateValue;
    if (from === to) return;
    this.stateValue = to;
    this.newGeneration(now);
    this.logger.info(`Circuit breaker "${this.name}" changed state from ${from} to ${to}`);
    this.onStateChange?.(from, to);
  }

  private newGeneration(now: number): void {
    this.generation++;
    const c = this.counts;
    c.requests = c.totalSuccesses = c.totalFailures = c.consecutiveSuccesses = c.consecutiveFailures = 0;
    if (this.stateValue === 'closed') this.expiry = this.spec.intervalMs > 0 ? now + this.spec.intervalMs : 0;
    else if (this.stateValue === 'open') this.expiry = now + this.timeoutMs;
    else this.expiry = 0;
  }
}
