import { expect } from 'vitest';
import type { CaseResult, CaseStatus, Mode } from '../src/index.js';

/** Ids with `status` in `mode` (sorted, each once). */
export function idsWith(results: CaseResult[], status: CaseStatus, mode: Mode): string[] {
  return [...new Set(results.filter((r) => r.mode === mode && r.status === status).map((r) => r.id))].sort();
}

export function statusOf(results: CaseResult[], id: string, mode: Mode): CaseStatus | undefined {
  return results.find((r) => r.id === id && r.mode === mode)?.status;
}

/** Nothing failed or skipped in any mode that ran; the failures are listed in the assertion message. */
export function expectCertified(results: CaseResult[], modes: Mode[] = ['in-process', 'socket']): void {
  expect([...new Set(results.map((r) => r.mode))]).toEqual(modes);
  const bad = results
    .filter((r) => r.status === 'failed' || r.status === 'skipped')
    .map((r) => `${r.mode} ${r.id}: ${r.error}`);
  expect(bad).toEqual([]);
}

/** Exactly `expected` failed in `mode`: the suite pinpoints the defect and blames nothing else. */
export function expectFailures(results: CaseResult[], mode: Mode, expected: string[]): void {
  expect(
    idsWith(results, 'failed', mode),
    JSON.stringify(
      results.filter((r) => r.status === 'failed' && r.mode === mode),
      null,
      1,
    ),
  ).toEqual([...expected].sort());
}

/** Fast knobs for the fakes; the TTL cases keep their semantics with a 1 s TTL. */
export const FAST_PUBSUB = {
  waitDurationToPublishMs: 20,
  simulatedErrorDelayMs: 10,
  maxReadDurationMs: 3_000,
};
