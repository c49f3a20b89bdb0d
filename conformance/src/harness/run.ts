import type { ComponentKind } from '@daprkit/component-sdk';
import { checkBackend } from './backend.js';
import type { BaseContext } from './case.js';
import { ModeSession, resolveRun, type SuiteSpec } from './session.js';
import type { CaseResult, SuiteOptions } from './types.js';

/**
 * Runs a suite in every requested mode, without any test framework; resolves with one result per case and mode.
 * Rejects when the definition is not of the suite's kind (`entry` names the public function in that error).
 */
export async function runSuite<K extends ComponentKind, C extends BaseContext<K>>(
  entry: string,
  spec: SuiteSpec<K, C>,
  options: SuiteOptions<K, string, unknown>,
): Promise<CaseResult[]> {
  const run = resolveRun(entry, spec.kind, options);
  const unavailable = await checkBackend(options.backend);
  const results: CaseResult[] = [];
  for (const mode of run.modes) {
    if (unavailable) {
      for (const c of spec.cases) {
        results.push({
          id: c.id,
          title: c.title,
          mode,
          status: unavailable.status,
          error: unavailable.reason,
          durationMs: 0,
        });
      }
      continue;
    }
    const session = new ModeSession(spec, run, mode);
    await session.open();
    try {
      for (const c of spec.cases) results.push(await session.runCase(c));
    } finally {
      await session.close();
    }
  }
  return results;
}
