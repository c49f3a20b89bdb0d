/** Runs one suite's cases, in order, against one mode of one component. Shared by `run*` and the vitest adapters. */
import { type ComponentDefinition, type ComponentKind, type Logger, silentLogger } from '@daprkit/component-sdk';
import { errorText } from './assert.js';
import { type BaseContext, type ConformanceCase, DEFAULT_CASE_TIMEOUT_MS, NotApplicable } from './case.js';
import { openTarget, type Target } from './targets.js';
import { withTimeout } from './timing.js';
import { ALL_MODES, type CaseResult, type Mode, type SuiteOptions } from './types.js';

/** One component type's suite: its cases in order and how to build the state they share. */
export interface SuiteSpec<K extends ComponentKind, C extends BaseContext<K>> {
  kind: K;
  cases: readonly ConformanceCase<C>[];
  /** The init case: when it fails, every later case fails without running (upstream aborts the suite). */
  abortOn: string;
  /** Builds the shared state for one mode; must not do I/O (vitest registers cases from it synchronously). */
  createContext(mode: Mode): C;
  /** Stops the mode's background work (subscriptions, reads) before the component and transport close. */
  teardown?(context: C): Promise<void>;
}

export interface ResolvedRun<K extends ComponentKind> {
  definition: ComponentDefinition<K>;
  modes: readonly Mode[];
  instanceName: string;
  logger: Logger;
}

/**
 * The definition as one of `kind`, or a TypeError naming `entry` (the public function called) and both kinds. Typed
 * callers pass any `ComponentDefinition`; untyped ones may pass anything, so the shape is checked too.
 */
function definitionOfKind<K extends ComponentKind>(
  entry: string,
  kind: K,
  definition: unknown,
): ComponentDefinition<K> {
  if (!isDefinition(definition)) {
    const got = definition === null ? 'null' : typeof definition;
    throw new TypeError(`${entry}: options.definition must be a component definition (defineComponent), got ${got}`);
  }
  if (!hasKind(definition, kind)) {
    throw new TypeError(
      `${entry}: definition '${definition.socketName}' (${definition.packageName}) is a ${definition.kind} component, expected ${kind}`,
    );
  }
  return definition;
}

function isDefinition(value: unknown): value is ComponentDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    'kind' in value &&
    typeof value.kind === 'string' &&
    'create' in value &&
    typeof value.create === 'function'
  );
}

function hasKind<K extends ComponentKind>(
  definition: ComponentDefinition,
  kind: K,
): definition is ComponentDefinition<K> {
  return definition.kind === kind;
}

/** Checks the definition's kind against the suite's (`entry` names the public function for the error). */
export function resolveRun<K extends ComponentKind>(
  entry: string,
  kind: K,
  options: SuiteOptions<K, string, unknown>,
): ResolvedRun<K> {
  return {
    definition: definitionOfKind(entry, kind, options.definition),
    modes: options.modes ?? ALL_MODES,
    instanceName: options.instanceName ?? 'conformance',
    logger: options.logger ?? silentLogger,
  };
}

const OPEN_TIMEOUT_MS = 30_000;

export class ModeSession<K extends ComponentKind, C extends BaseContext<K>> {
  readonly context: C;
  private target: Target<K> | undefined;
  private setupError: string | undefined;
  private abortReason: string | undefined;

  constructor(
    private readonly spec: SuiteSpec<K, C>,
    private readonly run: ResolvedRun<K>,
    readonly mode: Mode,
  ) {
    this.context = spec.createContext(mode);
  }

  /** Never throws: a mode that cannot open fails each of its cases with the reason. */
  async open(): Promise<void> {
    try {
      const opening = openTarget(this.run.definition, this.mode, this.run.instanceName, this.run.logger);
      this.target = await withTimeout(opening, OPEN_TIMEOUT_MS, `opening ${this.mode} mode`);
      this.context.component = this.target.component;
    } catch (err) {
      this.setupError = `${this.mode} mode could not start: ${errorText(err)}`;
    }
  }

  timeoutOf(testCase: ConformanceCase<C>): number {
    return testCase.timeoutMs?.(this.context) ?? DEFAULT_CASE_TIMEOUT_MS;
  }

  /** The status a case gets without running, if any (claims, mode, config). */
  verdictOf(testCase: ConformanceCase<C>) {
    return testCase.gate?.(this.context);
  }

  async runCase(testCase: ConformanceCase<C>): Promise<CaseResult> {
    const base = { id: testCase.id, title: testCase.title, mode: this.mode };
    const verdict = this.verdictOf(testCase);
    if (verdict) return { ...base, status: verdict.status, error: verdict.reason, durationMs: 0 };
    const blocked = this.setupError ?? (this.abortReason && `not run: ${this.abortReason}`);
    if (blocked) return { ...base, status: 'failed', error: blocked, durationMs: 0 };

    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const note = await withTimeout(
        Promise.resolve(testCase.run(this.context)),
        this.timeoutOf(testCase),
        testCase.id,
      );
      return {
        ...base,
        status: 'passed',
        ...(typeof note === 'string' && note ? { note } : {}),
        durationMs: elapsed(),
      };
    } catch (err) {
      if (err instanceof NotApplicable)
        return { ...base, status: err.status, error: err.message, durationMs: elapsed() };
      if (testCase.id === this.spec.abortOn) this.abortReason = `${testCase.id} failed`;
      return { ...base, status: 'failed', error: errorText(err), durationMs: elapsed() };
    }
  }

  /** Best effort: teardown problems are logged, never turned into case results. */
  async close(): Promise<void> {
    const attempt = async (what: string, action: () => Promise<unknown> | undefined) => {
      try {
        await action();
      } catch (err) {
        this.run.logger.warn(`conformance: ${what} failed during teardown`, { error: errorText(err) });
      }
    };
    if (this.target) {
      await attempt('teardown', () => this.spec.teardown?.(this.context));
      await attempt('component close', () => this.target?.component.close?.());
      await attempt('transport close', () => this.target?.close());
    }
    this.target = undefined;
  }
}
