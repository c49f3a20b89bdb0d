import type { ComponentDefinition, ComponentKind, Logger, Metadata } from '@daprkit/component-sdk';

/** How the component is reached: its own object in this process, or served over a unix socket and driven like daprd. */
export type Mode = 'in-process' | 'socket';
export const ALL_MODES: readonly Mode[] = ['in-process', 'socket'];

/**
 * - `not-claimed`: the case belongs to a capability the package does not claim (or declares it lacks).
 * - `not-on-wire`: the capability is claimed but the pluggable protocol cannot carry it (socket mode only).
 * - `skipped`: the case could not run (backend unreachable outside CI); never counts as certified.
 */
export type CaseStatus = 'passed' | 'failed' | 'not-claimed' | 'not-on-wire' | 'skipped';

export interface CaseResult {
  /** Stable identifier from conformance.md, e.g. `S-ETAG-6`; `-X-` marks our extensions. */
  id: string;
  title: string;
  mode: Mode;
  status: CaseStatus;
  /** Failure message, or the reason a case did not run. */
  error?: string;
  /** Observations that are reported but do not fail the case (e.g. duplicate deliveries). */
  note?: string;
  durationMs: number;
}

/** An external service the component needs (Redis, PostgreSQL, ...). */
export interface BackendOptions {
  name: string;
  /** Throws when the backend cannot be reached. */
  probe: () => Promise<void>;
}

/** What every `run*Conformance` call takes; `K` is the suite's component kind. */
export interface SuiteOptions<K extends ComponentKind, Operation extends string, Config> {
  /**
   * The package's exported definition. Its `kind` must be the suite's `K`; any `ComponentDefinition` type-checks
   * (a package's `definitions[0]!` is typed with the general kind) and the kind is checked at run time.
   */
  definition: ComponentDefinition<K> | ComponentDefinition;
  /** Component metadata handed to `init` (the YAML `spec.metadata`). */
  properties?: Metadata;
  /** Claimed optional capabilities; everything not listed must be absent (claims are checked both ways). */
  operations?: readonly Operation[];
  config?: Config;
  backend?: BackendOptions;
  /** Defaults to both; a record only certifies the modes that ran. */
  modes?: readonly Mode[];
  /** Component instance name (the `x-component-instance` header in socket mode). */
  instanceName?: string;
  /** Logger handed to the component; silent by default. */
  logger?: Logger;
}

/** What every `describe*Conformance` call takes on top: where the certification record goes. */
export interface DescribeOptions {
  /** The package folder (e.g. `new URL('..', import.meta.url)`); the record is written to `<dir>/certification/`. */
  packageDir?: string | URL;
}
