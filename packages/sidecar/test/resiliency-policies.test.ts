/**
 * Resiliency building blocks without a sidecar: the trip-expression evaluator, the circuit breaker state machine,
 * retries/timeouts/matching in the policy runner, document decoding (field-named errors, default-policy lookup,
 * built-in overrides), and the service-invocation entry point `runWithAppPolicy` driven by a fake call.
 */
import { BulkError, BulkStoreError, ETagMismatchError, type Logger } from '@daprkit/component-sdk';
import { waitFor } from '@daprkit/component-sdk/testing';
import { describe, expect, it } from 'vitest';
import { ComponentTable } from '../src/composition/table.js';
import { applyOutboundPolicies } from '../src/resiliency/apply.js';
import { CircuitBreaker } from '../src/resiliency/breaker.js';
import { decodeResiliency } from '../src/resiliency/load.js';
import { PolicyTimeoutError, policyRunner } from '../src/resiliency/policy.js';
import { Resiliency } from '../src/resiliency/resiliency.js';
import { CodeError, parseCodeList, RETRY_DEFAULTS } from '../src/resiliency/retry.js';
import { compileTrip } from '../src/resiliency/trip-expression.js';
import type { RawManifest } from '../src/resources/types.js';

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (m: string) => void lines.push(m);
  return { lines, debug: () => {}, info: push, warn: push, error: push };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const counts = (c: Partial<Record<string, number>>) => ({
  requests: 0,
  totalSuccesses: 0,
  totalFailures: 0,
  consecutiveSuccesses: 0,
  consecutiveFailures: 0,
  ...c,
});

function doc(spec: unknown, name = 'res', extra: Record<string, unknown> = {}): RawManifest {
  return {
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Resiliency',
    metadata: { name },
    spec,
    __source: 'test.yaml',
    ...extra,
  };
}

/** A call that fails `failures` times with `error`, then resolves with the attempt count. */
function flaky(failures: number, error: () => unknown = () => new Error('boom')) {
  const call = { count: 0 };
  const fn = async () => {
    call.count++;
    if (call.count <= failures) throw error();
    return call.count;
  };
  return { call, fn };
}

describe('trip expressions', () => {
  it('evaluates comparisons, logic and arithmetic over the counts', () => {
    expect(compileTrip('consecutiveFailures > 5')(counts({ consecutiveFailures: 6 }))).toBe(true);
    expect(compileTrip('consecutiveFailures > 5')(counts({ consecutiveFailures: 5 }))).toBe(false);
    const ratio = compileTrip('requests >= 4 && totalFailures * 2 >= requests || !(consecutiveSuccesses == 0)');
    expect(ratio(counts({ requests: 4, totalFailures: 2 }))).toBe(true);
    expect(ratio(counts({ requests: 4, totalFailures: 1 }))).toBe(false);
    expect(ratio(counts({ consecutiveSuccesses: 1 }))).toBe(true);
    expect(compileTrip('totalFailures - totalSuccesses / 2 > 1')(counts({ totalFailures: 3, totalSuccesses: 2 }))).toBe(
      true,
    );
    // A run-time error does not trip.
    expect(compileTrip('totalFailures / requests > 0')(counts({ totalFailures: 1 }))).toBe(false);
  });

  it('rejects unknown names, syntax and non-conditions at compile time', () => {
    expect(() => compileTrip('failures > 1')).toThrow(/unknown name 'failures'/);
    expect(() => compileTrip('consecutiveFailures >')).toThrow(/unexpected end/);
    expect(() => compileTrip('consecutiveFailures + 1')).toThrow(/must be a condition/);
    expect(() => compileTrip('consecutiveFailures && true')).toThrow(/needs conditions/);
    expect(() => compileTrip('process.exit()')).toThrow();
  });
});

describe('circuit breaker', () => {
  it('opens on the trip condition, fails fast, half-opens after timeout and closes after maxRequests successes', async () => {
    const logger = recordingLogger();
    const breaker = new CircuitBreaker(
      'cb-test',
      { maxRequests: 2, intervalMs: 0, timeoutMs: 80, trip: compileTrip('consecutiveFailures >= 2') },
      logger,
    );
    const fail = () => breaker.execute(async () => Promise.reject(new Error('down')));
    const ok = () => breaker.execute(async () => 'up');
    await expect(fail()).rejects.toThrow('down');
    expect(breaker.state).toBe('closed');
    await expect(fail()).rejects.toThrow('down');
    expect(breaker.state).toBe('open');
    let called = false;
    await expect(breaker.execute(async () => (called = true))).rejects.toThrow('circuit breaker is open');
    expect(called).toBe(false);
    await sleep(120);
    // Half-open: maxRequests (2) calls pass; a third concurrent one is refused.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = breaker.execute(() => gate);
    const second = breaker.execute(() => gate);
    await expect(ok()).rejects.toThrow('too many requests');
    release();
    await Promise.all([first, second]);
    expect(breaker.state).toBe('closed');
    expect(logger.lines).toEqual([
      'Circuit breaker "cb-test" changed state from closed to open',
      'Circuit breaker "cb-test" changed state from open to half-open',
      'Circuit breaker "cb-test" changed state from half-open to closed',
    ]);
  });

  it('re-opens on a half-open failure and trips after more than 5 consecutive failures by default', async () => {
    const breaker = new CircuitBreaker('d', { maxRequests: 0, intervalMs: 0, timeoutMs: 50 }, recordingLogger());
    for (let i = 0; i < 5; i++) await breaker.execute(() => Promise.reject(new Error('x'))).catch(() => {});
    expect(breaker.state).toBe('closed');
    await breaker.execute(() => Promise.reject(new Error('x'))).catch(() => {});
    expect(breaker.state).toBe('open');
    await sleep(80);
    expect(breaker.state).toBe('half-open');
    await breaker.execute(() => Promise.reject(new Error('x'))).catch(() => {});
    expect(breaker.state).toBe('open');
  });

  it('resets the closed-state counts every interval', async () => {
    const trip = compileTrip('consecutiveFailures >= 2');
    const breaker = new CircuitBreaker(
      'i',
      { maxRequests: 1, intervalMs: 60, timeoutMs: 1000, trip },
      recordingLogger(),
    );
    await breaker.execute(() => Promise.reject(new Error('x'))).catch(() => {});
    await sleep(100);
    await breaker.execute(() => Promise.reject(new Error('x'))).catch(() => {});
    expect(breaker.state).toBe('closed');
  });
});

describe('policy runner', () => {
  const retry = (maxRetries: number, extra = {}) => ({ ...RETRY_DEFAULTS, durationMs: 5, maxRetries, ...extra });

  it('retries maxRetries times, then fails with the last error', async () => {
    const logger = recordingLogger();
    const run = policyRunner({ name: 'op', timeoutMs: 0, retry: retry(3) }, logger);
    const recovering = flaky(2);
    expect(await run(recovering.fn)).toBe(3);
    expect(logger.lines.filter((l) => l.startsWith('Error processing operation op. Retrying in 5ms'))).toHaveLength(2);
    expect(logger.lines).toContain('Recovered processing operation op after 3 attempts');
    const failing = flaky(10);
    await expect(run(failing.fn)).rejects.toThrow('boom');
    expect(failing.call.count).toBe(4);
    const never = flaky(10);
    await expect(policyRunner({ name: 'n', timeoutMs: 0, retry: retry(0) }, logger)(never.fn)).rejects.toThrow();
    expect(never.call.count).toBe(1);
  });

  it('stops retrying when the sidecar shuts down (Resiliency.close)', async () => {
    const resiliency = new Resiliency(
      decodeResiliency(
        [doc({ policies: { retries: { DefaultRetryPolicy: { duration: '10s', maxRetries: -1 } } } })],
        recordingLogger(),
      ),
      recordingLogger(),
    );
    const forever = flaky(Number.POSITIVE_INFINITY);
    const running = resiliency.componentOutbound('s', 'Statestore')!(forever.fn);
    await waitFor(() => forever.call.count === 1);
    resiliency.close();
    await expect(running).rejects.toThrow('boom');
    expect(forever.call.count).toBe(1);
  });

  it('times each attempt out', async () => {
    const slow = { count: 0 };
    const fn = async () => {
      slow.count++;
      await sleep(slow.count === 1 ? 500 : 0);
      return 'late but fine';
    };
    await expect(policyRunner({ name: 't', timeoutMs: 30 }, recordingLogger())(fn)).rejects.toBeInstanceOf(
      PolicyTimeoutError,
    );
    slow.count = 0;
    const withRetry = policyRunner({ name: 't', timeoutMs: 30, retry: retry(2) }, recordingLogger());
    expect(await withRetry(fn)).toBe('late but fine');
    expect(slow.count).toBe(2);
  });

  it('retries only the status codes listed in matching', async () => {
    const spec = retry(3, { httpStatusCodes: parseCodeList('500,502-504', 'http'), grpcStatusCodes: [[14, 14]] });
    const run = policyRunner({ name: 'm', timeoutMs: 0, retry: spec }, recordingLogger());
    for (const [code, attempts] of [
      [503, 4],
      [404, 1],
      [14, 4],
      [5, 1],
    ] as const) {
      const f = flaky(10, () => new CodeError(code, `status ${code}`));
      await expect(run(f.fn)).rejects.toThrow(`status ${code}`);
      expect(f.call.count, `code ${code}`).toBe(attempts);
    }
    expect(() => parseCodeList('600', 'http')).toThrow('invalid pattern 600, start code 600 is not valid');
    expect(() => parseCodeList('504-502', 'http')).toThrow('start value should not bigger than end value');
  });

  it('does not retry while the breaker is open', async () => {
    const breaker = new CircuitBreaker(
      'b',
      { maxRequests: 1, intervalMs: 0, timeoutMs: 10_000, trip: compileTrip('consecutiveFailures >= 1') },
      recordingLogger(),
    );
    const run = policyRunner({ name: 'cb', timeoutMs: 0, retry: retry(5), breaker }, recordingLogger());
    const f = flaky(100);
    await expect(run(f.fn)).rejects.toThrow('circuit breaker is open');
    expect(f.call.count).toBe(1);
  });
});

describe('decoding Resiliency documents', () => {
  it('names the document and field in errors', () => {
    const bad = (spec: unknown) => () => decodeResiliency([doc(spec)], recordingLogger());
    expect(bad({ policies: { timeouts: { t: 'soon' } } })).toThrow(
      "resiliency 'res' (test.yaml): spec.policies.timeouts.t: invalid duration 'soon'",
    );
    expect(bad({ policies: { retries: { r: { policy: 'linear' } } } })).toThrow(
      'spec.policies.retries.r.policy: must be constant or exponential',
    );
    expect(bad({ policies: { retries: { r: { maxRetries: 'x' } } } })).toThrow('spec.policies.retries.r.maxRetries');
    expect(bad({ policies: { retries: { r: { matching: { gRPCStatusCodes: '17' } } } } })).toThrow(
      'spec.policies.retries.r.matching.gRPCStatusCodes: invalid pattern 17',
    );
    expect(bad({ policies: { circuitBreakers: { c: { trip: 'errors > 1' } } } })).toThrow(
      "spec.policies.circuitBreakers.c.trip: unknown name 'errors'",
    );
    expect(bad({ targets: { components: { s: { outbound: { retry: 'missing' } } } } })).toThrow(
      "spec.targets.components.s.outbound.retry: no retry policy named 'missing'",
    );
    expect(
      bad({ policies: { circuitBreakers: { c: {} } }, targets: { actors: { A: { circuitBreaker: 'c' } } } }),
    ).toThrow('spec.targets.actors.A.circuitBreakerScope: actor circuit breakers must include scope');
  });

  it('reads timeouts as Go durations or milliseconds, and merges documents in order', () => {
    const spec = decodeResiliency(
      [
        doc({ policies: { timeouts: { a: '1m30s', b: 250, c: '7' }, retries: { r: { duration: '1s' } } } }, 'one'),
        doc({ policies: { retries: { r: { duration: '2s', maxRetries: 4, policy: 'exponential' } } } }, 'two'),
      ],
      recordingLogger(),
    );
    expect([spec.timeouts.get('a'), spec.timeouts.get('b'), spec.timeouts.get('c')]).toEqual([90_000, 250, 7]);
    expect(spec.retries.get('r')).toMatchObject({
      policy: 'exponential',
      durationMs: 2000,
      maxRetries: 4,
      maxIntervalMs: 60_000,
    });
    expect(spec.documents).toEqual(['one', 'two']);
  });

  it('keeps built-in overrides at 3+ retries and ignores the protected policy', () => {
    const logger = recordingLogger();
    const spec = decodeResiliency(
      [
        doc({
          policies: {
            retries: {
              DaprBuiltInServiceRetries: { duration: '10ms', maxRetries: 1 },
              DaprBuiltInActorNotFoundRetries: { maxRetries: 0 },
            },
          },
        }),
      ],
      logger,
    );
    expect(spec.retries.get('DaprBuiltInServiceRetries')).toMatchObject({ durationMs: 10, maxRetries: 3 });
    expect(spec.retries.get('DaprBuiltInActorNotFoundRetries')).toMatchObject({ durationMs: 1000, maxRetries: 5 });
    expect(spec.retries.get('DaprBuiltInInitializationRetries')).toMatchObject({
      policy: 'exponential',
      maxRetries: 3,
      maxIntervalMs: 1000,
      maxElapsedMs: 10_000,
    });
    expect(logger.lines.some((l) => l.includes('did not meet minimum retry count, resetting to 3'))).toBe(true);
    expect(logger.lines.some((l) => l.includes('override protected policy DaprBuiltInActorNotFoundRetries'))).toBe(
      true,
    );
  });

  it('picks default component policies in daprd order and prefers a target entry', async () => {
    const retries = (n: number) => ({ duration: '1ms', maxRetries: n });
    const resiliency = new Resiliency(
      decodeResiliency(
        [
          doc({
            policies: {
              retries: {
                DefaultStatestoreComponentOutboundRetryPolicy: retries(1),
                DefaultComponentOutboundRetryPolicy: retries(2),
                DefaultComponentRetryPolicy: retries(3),
                DefaultRetryPolicy: retries(4),
                own: retries(5),
              },
            },
            targets: { components: { mine: { inbound: { retry: 'own' } } } },
          }),
        ],
        recordingLogger(),
      ),
      recordingLogger(),
    );
    const attempts = async (run: ReturnType<Resiliency['componentOutbound']>) => {
      const f = flaky(100);
      await run!(f.fn).catch(() => {});
      return f.call.count;
    };
    expect(await attempts(resiliency.componentOutbound('s', 'Statestore'))).toBe(2);
    expect(await attempts(resiliency.componentOutbound('p', 'Pubsub'))).toBe(3);
    expect(await attempts(resiliency.componentInbound('p', 'Pubsub'))).toBe(4);
    expect(await attempts(resiliency.componentInbound('mine', 'Pubsub'))).toBe(6);
    // A target entry replaces the defaults, even for the direction it leaves empty.
    expect(resiliency.componentOutbound('mine', 'Pubsub')).toBeUndefined();
    expect(await attempts(resiliency.appPolicy('other-app', 'm'))).toBe(5);
  });
});

describe('runWithAppPolicy (service invocation)', () => {
  const grpcError = (code: number) => Object.assign(new Error(`grpc ${code}`), { code });
  const fastBuiltIn = () =>
    decodeResiliency(
      [doc({ policies: { retries: { DaprBuiltInServiceRetries: { duration: '5ms', maxRetries: 3 } } } })],
      recordingLogger(),
    );

  it('uses daprd built-in service retries by default: 3 retries, 1 s apart', () => {
    expect(Resiliency.builtInOnly(recordingLogger()).spec.retries.get('DaprBuiltInServiceRetries')).toMatchObject({
      policy: 'constant',
      durationMs: 1000,
      maxRetries: 3,
    });
  });

  it('retries only Unavailable and Unauthenticated without a targets.apps entry', async () => {
    const resiliency = new Resiliency(fastBuiltIn(), recordingLogger());
    const failures: unknown[] = [];
    const target = { appId: 'b', method: 'm', onTransportFailure: (e: unknown) => failures.push(e) };
    const unavailable = flaky(2, () => grpcError(14));
    expect(await resiliency.runWithAppPolicy(target, unavailable.fn)).toBe(3);
    expect(failures).toHaveLength(2);
    const unauthenticated = flaky(10, () => grpcError(16));
    const error = await resiliency.runWithAppPolicy(target, unauthenticated.fn).catch((e: unknown) => e);
    expect(unauthenticated.call.count).toBe(4);
    expect((error as Error).message).toBe('failed to invoke target b after 3 retries. Error: grpc 16');
    expect((error as { code: number }).code).toBe(16);
    const notFound = flaky(10, () => grpcError(5));
    await expect(resiliency.runWithAppPolicy(target, notFound.fn)).rejects.toThrow('grpc 5');
    expect(notFound.call.count).toBe(1);
    const streaming = flaky(10, () => grpcError(14));
    await expect(resiliency.runWithAppPolicy({ ...target, streaming: true }, streaming.fn)).rejects.toThrow('grpc 14');
    expect(streaming.call.count).toBe(1);
  });

  it('applies the targets.apps policy instead, with one breaker per endpoint', async () => {
    const logger = recordingLogger();
    const spec = decodeResiliency(
      [
        doc({
          policies: {
            retries: { twice: { duration: '1ms', maxRetries: 2, matching: { httpStatusCodes: '503' } } },
            circuitBreakers: { cb: { timeout: '10s', trip: 'consecutiveFailures >= 3' } },
            timeouts: { short: '50ms' },
          },
          targets: { apps: { target: { retry: 'twice', circuitBreaker: 'cb', timeout: 'short' } } },
        }),
      ],
      logger,
    );
    const resiliency = new Resiliency(spec, logger);
    const http503 = flaky(100, () => new CodeError(503, 'unavailable'));
    await expect(resiliency.runWithAppPolicy({ appId: 'target', method: 'orders' }, http503.fn)).rejects.toThrow();
    expect(http503.call.count).toBe(3);
    expect(logger.lines).toContain('Circuit breaker "target:orders" changed state from closed to open');
    const other = flaky(0);
    expect(await resiliency.runWithAppPolicy({ appId: 'target', method: 'other' }, other.fn)).toBe(1);
    await expect(resiliency.runWithAppPolicy({ appId: 'target', method: 'orders' }, other.fn)).rejects.toThrow(
      'circuit breaker is open',
    );
    // The user policy replaces the built-in retries: gRPC Unavailable follows the policy (no matching for gRPC).
    const grpc = flaky(100, () => grpcError(14));
    await expect(resiliency.runWithAppPolicy({ appId: 'target', method: 'g' }, grpc.fn)).rejects.toThrow('grpc 14');
    expect(grpc.call.count).toBe(3);
    const slow = () => sleep(300).then(() => 'late');
    await expect(resiliency.runWithAppPolicy({ appId: 'target', method: 's' }, slow)).rejects.toThrow(
      'context deadline exceeded',
    );
  });
});

describe('state writes under a retry policy', () => {
  it('does not retry an ETag failure, and re-sends only the bulk items that failed otherwise', async () => {
    const sent: string[][] = [];
    let setCalls = 0;
    const store = {
      features: () => [],
      set: async () => {
        setCalls++;
        throw new ETagMismatchError();
      },
      bulkSet: async (requests: { key: string }[]) => {
        sent.push(requests.map((r) => r.key));
        if (sent.length === 1)
          throw new BulkError([
            new BulkStoreError('a', new Error('flaky')),
            new BulkStoreError('b', new ETagMismatchError()),
          ]);
      },
    };
    const table = new ComponentTable();
    const component = {
      name: 'st',
      type: 'state.x',
      version: 'v1',
      origin: 'code',
      capabilities: [],
      properties: {},
      close: async () => {},
    };
    table.state.set('st', { component, store: store as never, features: new Set(), keyPrefix: '' });
    const resiliency = new Resiliency(
      decodeResiliency(
        [doc({ policies: { retries: { DefaultRetryPolicy: { duration: '1ms', maxRetries: 3 } } } })],
        recordingLogger(),
      ),
      recordingLogger(),
    );
    applyOutboundPolicies(table, resiliency);
    const entry = table.state.get('st')!;
    await expect(
      entry.store.set({ key: 'k', value: new Uint8Array(), metadata: {}, options: {} }),
    ).rejects.toBeInstanceOf(ETagMismatchError);
    expect(setCalls).toBe(1);
    const error = await entry.store.bulkSet!([
      { key: 'a', value: new Uint8Array(), metadata: {}, options: {} },
      { key: 'b', value: new Uint8Array(), metadata: {}, options: {} },
      { key: 'c', value: new Uint8Array(), metadata: {}, options: {} },
    ]).catch((e: unknown) => e);
    expect(sent).toEqual([['a', 'b', 'c'], ['a']]);
    expect(error).toBeInstanceOf(BulkError);
    expect((error as BulkError).errors.map((e) => e.key)).toEqual(['b']);
  });
});
