/**
 * The loaded Resiliency policies and their lookups, as pkg/resiliency/resiliency.go resolves them: a target's own
 * policy names, else the default policies by name, else nothing. Circuit breakers keep state across calls: one per
 * component (shared by its inbound and outbound policies, named `<breaker>-<component>`), one per app endpoint
 * (`<appId>:<method>`, in an LRU of `circuitBreakerCacheSize`).
 */
import type { Logger } from '@daprkit/component-sdk';
import { type BreakerSpec, type BreakerState, CircuitBreaker } from './breaker.js';
import { BUILT_IN_POLICIES, emptyResiliencySpec, type PolicyNames, type ResiliencySpec } from './load.js';
import {
  isPolicyDefined,
  PermanentError,
  type PolicyDefinition,
  type PolicyKind,
  type PolicyObserver,
  type PolicyRunner,
  policyRunner,
} from './policy.js';

/** daprd's component types in default-policy names (`Default<Type>Component<Dir><Kind>Policy`). */
export type ComponentPolicyType =
  | 'Statestore'
  | 'Pubsub'
  | 'Binding'
  | 'Secretstore'
  | 'Configuration'
  | 'Lock'
  | 'Crypto'
  | 'Conversation';

export type Direction = 'Inbound' | 'Outbound';

/** A service-invocation call as the policies key it. */
export interface AppCallTarget {
  appId: string;
  /** The method (HTTP path after `/method/`, or the gRPC method); the breaker key is `<appId>:<method>`. */
  method: string;
  /** Streaming requests cannot be replayed: the built-in retries do not apply. */
  streaming?: boolean;
  /**
   * Called when the built-in retries see gRPC Unavailable/Unauthenticated, before retrying: daprd drops the
   * pooled connection and the name-resolution cache entry here.
   */
  onTransportFailure?: (error: unknown) => void;
}

/** The labels of one policy's metrics (daprd: the last document's name and namespace, direction and target). */
export interface PolicyLabels {
  name: string;
  namespace: string;
  flowDirection: 'inbound' | 'outbound';
  /** `app_<appId>`, or `<ComponentType>_<name>` (daprd's ResiliencyAppTarget / ResiliencyComponentTarget). */
  target: string;
}

/** Where daprd's `resiliency/*` metrics go (the sidecar's SidecarMetrics). */
export interface ResiliencyMetrics {
  resiliencyLoaded(name: string, namespace: string): void;
  resiliencyExecuted(labels: PolicyLabels, kind: PolicyKind, status: string): void;
  resiliencyActivated(labels: PolicyLabels, kind: PolicyKind, status: string): void;
  circuitBreakerState(labels: PolicyLabels, state: BreakerState): void;
}

const KINDS = ['Retry', 'Timeout', 'CircuitBreaker'] as const;
type Kind = (typeof KINDS)[number];

/** gRPC status codes the built-in service retries act on. */
const UNAVAILABLE = 14;
const UNAUTHENTICATED = 16;

/** The gRPC code an error carries: grpc-js `code`, or an ApiError's `grpcCode`. */
function grpcCodeOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, grpcCode } = error as { code?: unknown; grpcCode?: unknown };
  if (typeof code === 'number') return code;
  return typeof grpcCode === 'number' ? grpcCode : undefined;
}

/** The final error of the built-in retries, keeping the gRPC code of the last failure. */
export class ServiceRetriesError extends Error {
  override name = 'ServiceRetriesError';
  readonly code: number | undefined;
  constructor(appId: string, retries: number, error: unknown) {
    super(
      `failed to invoke target ${appId} after ${retries} retries. Error: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
    this.code = grpcCodeOf(error);
  }
}

class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly size: number) {}
  getOrCreate(key: string, create: () => V): V {
    let value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
    } else {
      value = create();
      if (this.map.size >= this.size) this.map.delete(this.map.keys().next().value!);
    }
    this.map.set(key, value);
    return value;
  }
}

export class Resiliency {
  private readonly componentBreakers = new Map<string, CircuitBreaker>();
  private readonly endpointBreakers = new Map<string, Lru<CircuitBreaker>>();
  private readonly serviceRetries: PolicyRunner;
  private readonly shutdown = new AbortController();

  constructor(
    readonly spec: ResiliencySpec,
    private readonly logger: Logger,
    private readonly metrics?: ResiliencyMetrics,
  ) {
    for (const [i, document] of spec.documents.entries()) metrics?.resiliencyLoaded(document, spec.namespaces[i] ?? '');
    const name = BUILT_IN_POLICIES.serviceRetries;
    this.serviceRetries = this.runner({ name, timeoutMs: 0, retry: spec.retries.get(name)! });
  }

  /** Stops every retry loop at its next wait (sidecar shutdown): the call then fails with its last error. */
  close(): void {
    this.shutdown.abort();
  }

  /** Only the built-in policies: what daprd runs with when no Resiliency document is loaded. */
  static builtInOnly(logger: Logger): Resiliency {
    return new Resiliency(emptyResiliencySpec(), logger);
  }

  /** Whether any document was loaded (without one, component calls are not wrapped at all). */
  get loaded(): boolean {
    return this.spec.documents.length > 0;
  }

  /** Sidecar → component calls (state, secrets, output bindings, publish); undefined = no policy applies. */
  componentOutbound(name: string, type: ComponentPolicyType): PolicyRunner | undefined {
    return this.componentPolicy(name, type, 'Outbound');
  }

  /** Component → app deliveries (pub/sub messages, input-binding events); undefined = no policy applies. */
  componentInbound(name: string, type: ComponentPolicyType): PolicyRunner | undefined {
    return this.componentPolicy(name, type, 'Inbound');
  }

  /** The named built-in retry policy (e.g. DaprBuiltInInitializationRetries), as overridden by a document. */
  builtIn(name: (typeof BUILT_IN_POLICIES)[keyof typeof BUILT_IN_POLICIES]): PolicyRunner {
    return this.runner({ name, timeoutMs: 0, retry: this.spec.retries.get(name)! });
  }

  /**
   * The `targets.apps.<appId>` policy for one invocation, else the `DefaultApp…`/`Default…` policies; undefined
   * when none applies. (It does not include the built-in service retries: see runWithAppPolicy.)
   */
  appPolicy(appId: string, method: string): PolicyRunner | undefined {
    const endpoint = `${appId}:${method}`;
    const target = this.spec.apps.get(appId);
    const names = target ?? this.defaultNames(['App']);
    const at = { flowDirection: 'outbound', target: `app_${appId}` } as const;
    const definition = this.definition(`endpoint[${appId}, ${endpoint}]`, names, at, (template, _name, labels) => {
      let cache = this.endpointBreakers.get(appId);
      if (cache === undefined) {
        cache = new Lru(target?.circuitBreakerCacheSize ?? 100);
        this.endpointBreakers.set(appId, cache);
      }
      return cache.getOrCreate(endpoint, () => this.newBreaker(endpoint, template, labels));
    });
    return isPolicyDefined(definition) ? this.runner(definition) : undefined;
  }

  /**
   * Runs one service invocation as daprd's direct messaging does: the app policy (if any) wraps the whole call;
   * when the app has no `targets.apps` entry (default policies do not count) and the request is not streaming,
   * each call also gets DaprBuiltInServiceRetries — only gRPC Unavailable or Unauthenticated is retried (1 s apart,
   * 3 times), every other error is final. `call` receives the 1-based attempt number of the built-in retries.
   */
  runWithAppPolicy<T>(target: AppCallTarget, call: (attempt: number) => Promise<T>): Promise<T> {
    const policy = this.appPolicy(target.appId, target.method);
    const builtIn = !this.spec.apps.has(target.appId) && target.streaming !== true;
    const once = builtIn ? () => this.withServiceRetries(target, call) : () => call(1);
    return policy ? policy(once) : once();
  }

  private withServiceRetries<T>(target: AppCallTarget, call: (attempt: number) => Promise<T>): Promise<T> {
    return this.serviceRetries(async (attempt) => {
      try {
        return await call(attempt);
      } catch (error) {
        const code = grpcCodeOf(error);
        if (code !== UNAVAILABLE && code !== UNAUTHENTICATED) throw new PermanentError(error);
        target.onTransportFailure?.(error);
        throw new ServiceRetriesError(target.appId, attempt - 1, error);
      }
    });
  }

  private componentPolicy(name: string, type: ComponentPolicyType, direction: Direction): PolicyRunner | undefined {
    const target = this.spec.components.get(name);
    const names =
      target !== undefined
        ? direction === 'Inbound'
          ? target.inbound
          : target.outbound
        : this.defaultNames([`${type}Component${direction}`, `Component${direction}`, 'Component']);
    const label = `component[${name}] ${direction === 'Inbound' ? 'input' : 'output'}`;
    const at = { flowDirection: direction === 'Inbound' ? 'inbound' : 'outbound', target: `${type}_${name}` } as const;
    const definition = this.definition(label, names, at, (template, templateName, labels) => {
      let breaker = this.componentBreakers.get(name);
      if (breaker === undefined) {
        breaker = this.newBreaker(`${templateName}-${name}`, template, labels);
        this.componentBreakers.set(name, breaker);
      }
      return breaker;
    });
    return isPolicyDefined(definition) ? this.runner(definition) : undefined;
  }

  /** Metric labels of a policy for `target`; undefined without metrics (nothing is recorded then). */
  private labels(flowDirection: PolicyLabels['flowDirection'], target: string): PolicyLabels | undefined {
    if (this.metrics === undefined) return undefined;
    const last = this.spec.documents.length - 1;
    return {
      name: this.spec.documents[last] ?? '',
      namespace: this.spec.namespaces[last] ?? '',
      flowDirection,
      target,
    };
  }

  private observer(labels: PolicyLabels | undefined): PolicyObserver | undefined {
    const metrics = this.metrics;
    if (metrics === undefined || labels === undefined) return undefined;
    return {
      executed: (kind, status) => metrics.resiliencyExecuted(labels, kind, status),
      activated: (kind, status) => metrics.resiliencyActivated(labels, kind, status),
    };
  }

  private definition(
    name: string,
    names: PolicyNames,
    at: Pick<PolicyLabels, 'flowDirection' | 'target'>,
    breakerFor: (template: BreakerSpec, templateName: string, labels: PolicyLabels | undefined) => CircuitBreaker,
  ): PolicyDefinition {
    const definition: PolicyDefinition = { name, timeoutMs: 0 };
    // Labels only when metrics are on and some policy applies (this runs for every invocation).
    const labels =
      names.timeout === undefined && names.retry === undefined && names.circuitBreaker === undefined
        ? undefined
        : this.labels(at.flowDirection, at.target);
    const observer = this.observer(labels);
    if (observer !== undefined) definition.observer = observer;
    if (names.timeout !== undefined) definition.timeoutMs = this.spec.timeouts.get(names.timeout) ?? 0;
    if (names.retry !== undefined) {
      const retry = this.spec.retries.get(names.retry);
      if (retry !== undefined) definition.retry = retry;
    }
    const template =
      names.circuitBreaker === undefined ? undefined : this.spec.circuitBreakers.get(names.circuitBreaker);
    if (template !== undefined) definition.breaker = breakerFor(template, names.circuitBreaker!, labels);
    return definition;
  }

  /** `Default<level><Kind>Policy` for each level in order, then `Default<Kind>Policy`; the first defined wins. */
  private defaultNames(levels: readonly string[]): PolicyNames {
    const names: PolicyNames = {};
    const maps: Record<Kind, ReadonlyMap<string, unknown>> = {
      Retry: this.spec.retries,
      Timeout: this.spec.timeouts,
      CircuitBreaker: this.spec.circuitBreakers,
    };
    const field = { Retry: 'retry', Timeout: 'timeout', CircuitBreaker: 'circuitBreaker' } as const;
    for (const kind of KINDS) {
      const found = [...levels, ''].map((level) => `Default${level}${kind}Policy`).find((n) => maps[kind].has(n));
      if (found !== undefined) names[field[kind]] = found;
    }
    return names;
  }

  private runner(definition: PolicyDefinition): PolicyRunner {
    return policyRunner(definition, this.logger, this.shutdown.signal);
  }

  /** A breaker whose state changes are daprd's circuit-breaker activations and `cb_state` gauge. */
  private newBreaker(name: string, template: BreakerSpec, labels: PolicyLabels | undefined): CircuitBreaker {
    const metrics = this.metrics;
    if (metrics === undefined || labels === undefined) return new CircuitBreaker(name, template, this.logger);
    metrics.circuitBreakerState(labels, 'closed');
    return new CircuitBreaker(name, template, this.logger, (_from, to) => {
      metrics.resiliencyActivated(labels, 'circuitbreaker', to);
      metrics.circuitBreakerState(labels, to);
    });
  }
}
