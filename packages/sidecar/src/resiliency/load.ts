/**
 * Decodes `Resiliency` documents (dapr.io/v1alpha1, pkg/apis/resiliency/v1alpha1/types.go) into one merged set of
 * named policies and targets, as daprd's DecodeConfiguration does for each document in turn (a later document's
 * policy or target of the same name replaces an earlier one). Errors name the document and the field.
 */
import { type Logger, parseGoDurationMs } from '@daprkit/component-sdk';
import type { RawManifest } from '../resources/types.js';
import { isObject } from '../shared/json-fields.js';
import type { BreakerSpec } from './breaker.js';
import { parseCodeList, RETRY_DEFAULTS, type RetrySpec } from './retry.js';
import { compileTrip } from './trip-expression.js';

export class ResiliencyError extends Error {
  override name = 'ResiliencyError';
}

export interface PolicyNames {
  timeout?: string;
  retry?: string;
  circuitBreaker?: string;
}

export interface AppTarget extends PolicyNames {
  circuitBreakerCacheSize: number;
}

export interface ResiliencySpec {
  /** Names of the documents loaded, in order. */
  documents: string[];
  /** Their `metadata.namespace` (empty when not given), in the same order. */
  namespaces: string[];
  timeouts: Map<string, number>;
  retries: Map<string, RetrySpec>;
  circuitBreakers: Map<string, BreakerSpec>;
  apps: Map<string, AppTarget>;
  /** Parsed and validated; the sidecar has no actor runtime to apply them to. */
  actors: Map<string, PolicyNames & { circuitBreakerScope?: string }>;
  components: Map<string, { inbound: PolicyNames; outbound: PolicyNames }>;
}

export const BUILT_IN_POLICIES = {
  serviceRetries: 'DaprBuiltInServiceRetries',
  actorRetries: 'DaprBuiltInActorRetries',
  actorReminderRetries: 'DaprBuiltInActorReminderRetries',
  initializationRetries: 'DaprBuiltInInitializationRetries',
  actorNotFoundRetries: 'DaprBuiltInActorNotFoundRetries',
} as const;

const PROTECTED = new Set<string>([BUILT_IN_POLICIES.actorNotFoundRetries]);
const BUILT_IN_NAMES = new Set<string>(Object.values(BUILT_IN_POLICIES));

/** The built-in retries daprd always defines (addBuiltInPolicies); a document may override all but the protected one. */
function builtInRetries(): Map<string, RetrySpec> {
  const constant = (maxRetries: number): RetrySpec => ({ ...RETRY_DEFAULTS, durationMs: 1000, maxRetries });
  return new Map<string, RetrySpec>([
    [BUILT_IN_POLICIES.serviceRetries, constant(3)],
    [BUILT_IN_POLICIES.actorRetries, constant(3)],
    [BUILT_IN_POLICIES.actorReminderRetries, { ...RETRY_DEFAULTS, policy: 'exponential' }],
    [
      BUILT_IN_POLICIES.initializationRetries,
      {
        ...RETRY_DEFAULTS,
        policy: 'exponential',
        durationMs: 2000,
        maxRetries: 3,
        maxIntervalMs: 1000,
        maxElapsedMs: 10_000,
      },
    ],
    [BUILT_IN_POLICIES.actorNotFoundRetries, constant(5)],
  ]);
}

export function emptyResiliencySpec(): ResiliencySpec {
  return {
    documents: [],
    namespaces: [],
    timeouts: new Map(),
    retries: builtInRetries(),
    circuitBreakers: new Map(),
    apps: new Map(),
    actors: new Map(),
    components: new Map(),
  };
}

const text = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));

/** Retry and breaker durations: a Go duration string (dapr/kit's decoder) or an integer of nanoseconds. */
function goDuration(raw: unknown, where: string): number {
  if (typeof raw === 'number' && Number.isInteger(raw)) return raw / 1e6;
  const ms = typeof raw === 'string' ? parseGoDurationMs(raw) : undefined;
  if (ms === undefined) throw new ResiliencyError(`${where}: invalid duration '${text(raw)}' (e.g. 5s, 500ms)`);
  return ms;
}

/** Timeouts: an integer is milliseconds, anything else a Go duration (pkg/resiliency parseDuration). */
function timeoutDuration(raw: unknown, where: string): number {
  if (typeof raw === 'number' || /^[+-]?\d+$/.test(text(raw))) return Number(raw);
  return goDuration(raw, where);
}

function integer(raw: unknown, where: string, min: number): number {
  const n = typeof raw === 'number' ? raw : /^[+-]?\d+$/.test(text(raw)) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(n) || n < min)
    throw new ResiliencyError(`${where}: must be an integer >= ${min}, got '${text(raw)}'`);
  return n;
}

function objectAt(raw: unknown, where: string): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw)) throw new ResiliencyError(`${where}: must be a map`);
  return raw;
}

function decodeRetry(raw: unknown, where: string): RetrySpec {
  const r = objectAt(raw, where);
  const spec: RetrySpec = { ...RETRY_DEFAULTS };
  if (r.policy !== undefined && r.policy !== '') {
    const policy = text(r.policy).toLowerCase();
    if (policy !== 'constant' && policy !== 'exponential')
      throw new ResiliencyError(`${where}.policy: must be constant or exponential, got '${text(r.policy)}'`);
    spec.policy = policy;
  }
  if (r.duration !== undefined) spec.durationMs = goDuration(r.duration, `${where}.duration`);
  if (r.maxInterval !== undefined) spec.maxIntervalMs = goDuration(r.maxInterval, `${where}.maxInterval`);
  if (r.maxRetries !== undefined) spec.maxRetries = integer(r.maxRetries, `${where}.maxRetries`, -1);
  const matching = objectAt(r.matching, `${where}.matching`);
  for (const [field, kind, key] of [
    ['httpStatusCodes', 'http', 'httpStatusCodes'],
    ['gRPCStatusCodes', 'grpc', 'grpcStatusCodes'],
  ] as const) {
    try {
      const ranges = parseCodeList(text(matching[field]), kind);
      if (ranges !== undefined) spec[key] = ranges;
    } catch (error) {
      throw new ResiliencyError(`${where}.matching.${field}: ${(error as Error).message}`);
    }
  }
  return spec;
}

function decodeBreaker(raw: unknown, where: string): BreakerSpec {
  const c = objectAt(raw, where);
  const spec: BreakerSpec = {
    maxRequests: c.maxRequests === undefined ? 0 : integer(c.maxRequests, `${where}.maxRequests`, 0),
    intervalMs: c.interval === undefined ? 0 : goDuration(c.interval, `${where}.interval`),
    timeoutMs: c.timeout === undefined ? 0 : goDuration(c.timeout, `${where}.timeout`),
  };
  if (text(c.trip) !== '') {
    try {
      spec.trip = compileTrip(text(c.trip));
    } catch (error) {
      throw new ResiliencyError(`${where}.trip: ${(error as Error).message} in '${text(c.trip)}'`);
    }
  }
  return spec;
}

function policyNames(raw: unknown, where: string): PolicyNames {
  const t = objectAt(raw, where);
  const names: PolicyNames = {};
  for (const key of ['timeout', 'retry', 'circuitBreaker'] as const) if (text(t[key]) !== '') names[key] = text(t[key]);
  return names;
}

function decodeDocument(spec: ResiliencySpec, m: RawManifest, logger: Logger): void {
  const name = isObject(m.metadata) ? text(m.metadata.name) : '';
  const doc = `resiliency '${name}' (${m.__source})`;
  const root = objectAt(m.spec, `${doc}: spec`);
  const policies = objectAt(root.policies, `${doc}: spec.policies`);
  const targets = objectAt(root.targets, `${doc}: spec.targets`);
  const at = (path: string) => `${doc}: spec.${path}`;

  for (const [key, raw] of Object.entries(objectAt(policies.timeouts, at('policies.timeouts'))))
    spec.timeouts.set(key, timeoutDuration(raw, at(`policies.timeouts.${key}`)));
  for (const [key, raw] of Object.entries(objectAt(policies.retries, at('policies.retries')))) {
    const retry = decodeRetry(raw, at(`policies.retries.${key}`));
    if (PROTECTED.has(key)) {
      logger.warn(
        `Attempted to override protected policy ${key} which is not allowed. Ignoring provided policy and using default.`,
      );
      continue;
    }
    if (BUILT_IN_NAMES.has(key) && retry.maxRetries < 3) {
      logger.warn(`Attempted override of ${key} did not meet minimum retry count, resetting to 3.`);
      retry.maxRetries = 3;
    }
    spec.retries.set(key, retry);
  }
  for (const [key, raw] of Object.entries(objectAt(policies.circuitBreakers, at('policies.circuitBreakers'))))
    spec.circuitBreakers.set(key, decodeBreaker(raw, at(`policies.circuitBreakers.${key}`)));

  for (const [appId, raw] of Object.entries(objectAt(targets.apps, at('targets.apps')))) {
    const where = at(`targets.apps.${appId}`);
    const t = objectAt(raw, where);
    const size = t.circuitBreakerCacheSize;
    spec.apps.set(appId, {
      ...policyNames(t, where),
      circuitBreakerCacheSize:
        size === undefined || size === 0 ? 100 : integer(size, `${where}.circuitBreakerCacheSize`, 1),
    });
  }
  for (const [type, raw] of Object.entries(objectAt(targets.actors, at('targets.actors')))) {
    const where = at(`targets.actors.${type}`);
    const t = objectAt(raw, where);
    const names = policyNames(t, where);
    const scope = text(t.circuitBreakerScope);
    if (names.circuitBreaker !== undefined && scope === '')
      throw new ResiliencyError(`${where}.circuitBreakerScope: actor circuit breakers must include scope`);
    if (scope !== '' && !['type', 'id', 'both'].includes(scope))
      throw new ResiliencyError(`${where}.circuitBreakerScope: unknown circuit breaker scope "${scope}"`);
    spec.actors.set(type, scope === '' ? names : { ...names, circuitBreakerScope: scope });
  }
  for (const [component, raw] of Object.entries(objectAt(targets.components, at('targets.components')))) {
    const where = at(`targets.components.${component}`);
    const t = objectAt(raw, where);
    spec.components.set(component, {
      inbound: policyNames(t.inbound, `${where}.inbound`),
      outbound: policyNames(t.outbound, `${where}.outbound`),
    });
  }
  spec.documents.push(name);
  spec.namespaces.push(isObject(m.metadata) ? text(m.metadata.namespace) : '');
}

/** Every target must name policies that exist (daprd silently ignores a missing one; we fail the load). */
function checkReferences(spec: ResiliencySpec): void {
  const check = (names: PolicyNames, where: string) => {
    const known = { timeout: spec.timeouts, retry: spec.retries, circuitBreaker: spec.circuitBreakers } as const;
    for (const kind of ['timeout', 'retry', 'circuitBreaker'] as const) {
      const name = names[kind];
      if (name !== undefined && !known[kind].has(name))
        throw new ResiliencyError(`resiliency: spec.targets.${where}.${kind}: no ${kind} policy named '${name}'`);
    }
  };
  for (const [id, t] of spec.apps) check(t, `apps.${id}`);
  for (const [type, t] of spec.actors) check(t, `actors.${type}`);
  for (const [name, t] of spec.components) {
    check(t.inbound, `components.${name}.inbound`);
    check(t.outbound, `components.${name}.outbound`);
  }
}

/** Decodes the documents in load order (already filtered by `scopes`). */
export function decodeResiliency(manifests: readonly RawManifest[], logger: Logger): ResiliencySpec {
  const spec = emptyResiliencySpec();
  for (const m of manifests) {
    logger.info(`Loading Resiliency configuration: ${isObject(m.metadata) ? text(m.metadata.name) : ''}`);
    decodeDocument(spec, m, logger);
  }
  checkReferences(spec);
  return spec;
}
