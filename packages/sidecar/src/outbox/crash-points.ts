/**
 * TEST-ONLY fault injection for the outbox crash tests. `DAPRKIT_OUTBOX_CRASH_AT=<step>:<when>[,<step>:<when>…]`
 * kills this process with SIGKILL at a step: `<when>` below 1 is a probability per pass, an integer n ≥ 1 means
 * "on the n-th pass". With `DAPRKIT_OUTBOX_CRASH_TARGET=<file>` it kills one process picked at random from the pids
 * listed in that file (the component plugins) instead, and goes on; an empty file disarms it.
 * Unset (always, in production) crashPointsFromEnv returns undefined and sidecar.ts wires nothing into the outbox.
 * Documented in the README's outbox section.
 */
import { readFileSync } from 'node:fs';

export type CrashStep =
  /** The internal event is published; the transaction is not committed yet. */
  | 'after-internal-publish'
  /** The transaction committed; the client has no answer yet. */
  | 'after-commit'
  /** The relay published the final event; the marker is not deleted yet. */
  | 'after-relay-publish'
  /** The relay deleted the marker; the internal event is not acknowledged yet. */
  | 'after-marker-delete';

/** Called by the outbox at each step; only ever present when the test-only variables are set. */
export type CrashPoint = (step: CrashStep) => void;

/** The crash points `DAPRKIT_OUTBOX_CRASH_AT` asks for, or undefined (production: no fault injection at all). */
export function crashPointsFromEnv(env: NodeJS.ProcessEnv = process.env): CrashPoint | undefined {
  const plan = new Map<string, { probability?: number; nth?: number; passes: number }>();
  for (const part of (env.DAPRKIT_OUTBOX_CRASH_AT ?? '').split(',')) {
    const [step, when] = part.trim().split(':');
    const value = Number(when);
    if (!step || !Number.isFinite(value) || value <= 0) continue;
    plan.set(step, value < 1 ? { probability: value, passes: 0 } : { nth: Math.floor(value), passes: 0 });
  }
  if (plan.size === 0) return undefined;
  const targetFile = env.DAPRKIT_OUTBOX_CRASH_TARGET || undefined;
  return (step) => {
    const rule = plan.get(step);
    if (rule === undefined) return;
    rule.passes++;
    const fire = rule.nth !== undefined ? rule.passes === rule.nth : Math.random() < (rule.probability ?? 0);
    if (!fire) return;
    if (targetFile !== undefined) {
      killComponent(step, targetFile);
      return;
    }
    process.stderr.write(`DAPRKIT_OUTBOX_CRASH_AT: killing the sidecar at ${step}\n`);
    process.kill(process.pid, 'SIGKILL');
  };
}

function killComponent(step: CrashStep, file: string): void {
  let pids: number[];
  try {
    pids = readFileSync(file, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return;
  }
  const pid = pids[Math.floor(Math.random() * pids.length)];
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
    process.stderr.write(`DAPRKIT_OUTBOX_CRASH_AT: killed component process ${pid} at ${step}\n`);
  } catch {
    // Already gone (killed by an earlier step and not restarted yet).
  }
}
