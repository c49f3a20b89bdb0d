/**
 * Binding suites. Upstream drives one component as both directions; our contract has separate input and
 * output kinds, so each has its own suite (and record). A broker's input suite makes events with `trigger`.
 */
import { runSuite } from '../harness/run.js';
import type { SuiteSpec } from '../harness/session.js';
import type { CaseResult, Mode } from '../harness/types.js';
import { INPUT_BINDING_CASES } from './input.js';
import {
  DEFAULT_OUTPUT_DATA,
  type InputBindingContext,
  type InputBindingOptions,
  type OutputBindingContext,
  type OutputBindingOptions,
} from './options.js';
import { OUTPUT_BINDING_CASES } from './output.js';

/** The suite's cases and per-mode context (shared by run* and the vitest entry). */
export function outputSpec(options: OutputBindingOptions): SuiteSpec<'outputBinding', OutputBindingContext> {
  const data = options.config?.outputData ?? DEFAULT_OUTPUT_DATA;
  return {
    kind: 'outputBinding',
    cases: OUTPUT_BINDING_CASES,
    abortOn: 'B-INIT',
    createContext: (mode: Mode) => ({
      mode,
      component: undefined as never,
      claims: new Set(options.operations ?? []),
      properties: { ...options.properties },
      output: { ...options.config?.output },
      data: typeof data === 'string' ? new TextEncoder().encode(data) : data,
      created: false,
    }),
  };
}

/** The suite's cases and per-mode context (shared by run* and the vitest entry). */
export function inputSpec(options: InputBindingOptions): SuiteSpec<'inputBinding', InputBindingContext> {
  return {
    kind: 'inputBinding',
    cases: INPUT_BINDING_CASES,
    abortOn: 'B-INIT',
    createContext: (mode: Mode) => ({
      mode,
      component: undefined as never,
      properties: { ...options.properties },
      config: { readBindingTimeoutMs: 60_000, readBindingWaitMs: 1_000, ...options.config },
      reading: new AbortController(),
      events: 0,
    }),
    teardown: async (context) => context.reading.abort(),
  };
}

/** Runs the output binding suite in each mode; rejects when `definition` is not an outputBinding component. */
export function runOutputBindingConformance(options: OutputBindingOptions): Promise<CaseResult[]> {
  return runSuite('runOutputBindingConformance', outputSpec(options), options);
}

/** Runs the input binding suite in each mode; rejects when `definition` is not an inputBinding component. */
export function runInputBindingConformance(options: InputBindingOptions): Promise<CaseResult[]> {
  return runSuite('runInputBindingConformance', inputSpec(options), options);
}

export type {
  DescribeInputBindingOptions,
  DescribeOutputBindingOptions,
  InputBindingConfig,
  InputBindingOptions,
  OutputBindingConfig,
  OutputBindingOperation,
  OutputBindingOptions,
} from './options.js';
export { DEFAULT_OUTPUT_DATA } from './options.js';
