import type { ComponentKind, ComponentKinds } from '@daprkit/component-sdk';
import type { CaseStatus, Mode } from './types.js';

/** Why a case does not run; decided before running (claims, mode, config) or thrown while running. */
export interface Verdict {
  status: Exclude<CaseStatus, 'passed' | 'failed'>;
  reason: string;
}

/** Thrown by a case that finds out at run time that it does not apply (e.g. no PARTITION_KEY advertised). */
export class NotApplicable extends Error {
  constructor(
    readonly status: Verdict['status'],
    reason: string,
  ) {
    super(reason);
  }
}

/** The state every case of one mode shares; the component is attached when the mode opens. */
export interface BaseContext<K extends ComponentKind> {
  readonly mode: Mode;
  component: ComponentKinds[K];
}

export interface ConformanceCase<C> {
  id: string;
  title: string;
  /** Decides, before anything runs, that the case does not apply; `undefined` = run it. */
  gate?: (context: C) => Verdict | undefined;
  /** Throws on failure; resolving with a string reports it as a note (observations that do not fail). */
  run(context: C): Promise<unknown>;
  /** Budget for this case; defaults to 60 s. */
  timeoutMs?: (context: C) => number;
}

export const notClaimed = (reason: string): Verdict => ({ status: 'not-claimed', reason });
export const notOnWire = (reason: string): Verdict => ({ status: 'not-on-wire', reason });

/** Gate: run only when `operation` is claimed. */
export function whenClaimed<C extends { claims: ReadonlySet<string> }>(operation: string) {
  return (context: C): Verdict | undefined =>
    context.claims.has(operation) ? undefined : notClaimed(`operation '${operation}' not claimed`);
}

export const DEFAULT_CASE_TIMEOUT_MS = 60_000;
