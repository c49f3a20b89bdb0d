/**
 * The vitest adapter: one `describe` per mode, one `it` per case, run in order against shared state (as
 * upstream). Cases that do not apply are registered as skipped with the reason in the title, so a report
 * shows exactly what was and was not certified. The record is written once both modes have finished.
 */
import type { ComponentKind } from '@daprkit/component-sdk';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { checkBackend } from './backend.js';
import type { BaseContext } from './case.js';
import { buildRecord, writeCertificationRecord } from './record.js';
import { ModeSession, resolveRun, type SuiteSpec } from './session.js';
import type { CaseResult, DescribeOptions, SuiteOptions } from './types.js';

/** Headroom so the case's own timeout (with its message) fires before vitest's. */
const VITEST_TIMEOUT_MARGIN_MS = 5_000;

/** Throws (before registering anything) when the definition is not of the suite's kind; `entry` names the caller. */
export function describeSuite<K extends ComponentKind, C extends BaseContext<K>>(
  entry: string,
  label: string,
  spec: SuiteSpec<K, C>,
  options: SuiteOptions<K, string, unknown> & DescribeOptions,
): void {
  const run = resolveRun(entry, spec.kind, options);
  describe(`${label} conformance: ${run.definition.packageName}`, async () => {
    const unavailable = await checkBackend(options.backend);
    const results: CaseResult[] = [];
    if (unavailable?.status === 'skipped') {
      console.warn(
        `[conformance] ${run.definition.packageName}: ${unavailable.reason} — cases skipped (CI=true would fail them)`,
      );
    }

    for (const mode of run.modes) {
      describe(mode, () => {
        if (unavailable) {
          for (const c of spec.cases) {
            const result: CaseResult = {
              id: c.id,
              title: c.title,
              mode,
              status: unavailable.status,
              error: unavailable.reason,
              durationMs: 0,
            };
            results.push(result);
            if (unavailable.status === 'skipped')
              it.skip(`${c.id} ${c.title} — skipped: ${unavailable.reason}`, () => {});
            else it(`${c.id} ${c.title}`, () => Promise.reject(new Error(unavailable.reason)));
          }
          return;
        }
        const session = new ModeSession(spec, run, mode);
        beforeAll(() => session.open(), 60_000);
        afterAll(() => session.close(), 60_000);
        for (const c of spec.cases) {
          const verdict = session.verdictOf(c);
          if (verdict) {
            results.push({
              id: c.id,
              title: c.title,
              mode,
              status: verdict.status,
              error: verdict.reason,
              durationMs: 0,
            });
            it.skip(`${c.id} ${c.title} — ${verdict.status}: ${verdict.reason}`, () => {});
            continue;
          }
          it(
            `${c.id} ${c.title}`,
            async (test) => {
              const result = await session.runCase(c);
              results.push(result);
              if (result.status === 'failed') throw new Error(result.error);
              if (result.status !== 'passed') test.skip(`${result.status}: ${result.error}`);
              if (result.note) await test.annotate(result.note);
            },
            session.timeoutOf(c) + VITEST_TIMEOUT_MARGIN_MS,
          );
        }
      });
    }

    afterAll(async () => {
      if (!options.packageDir) return;
      const expected = run.modes.length * spec.cases.length;
      if (unavailable?.status === 'skipped' || results.length !== expected) {
        console.warn(
          `[conformance] ${run.definition.packageName}: certification record not updated (${results.length}/${expected} cases ran${unavailable ? `; ${unavailable.reason}` : ''})`,
        );
        return;
      }
      const order = (r: CaseResult) =>
        run.modes.indexOf(r.mode) * spec.cases.length + spec.cases.findIndex((c) => c.id === r.id);
      results.sort((a, b) => order(a) - order(b));
      await writeCertificationRecord(
        options.packageDir,
        buildRecord(run.definition, options.operations ?? [], results),
      );
    });
  });
}
