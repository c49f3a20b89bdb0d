/**
 * TEST-ONLY fault injection for the outbox crash test. `DAPRKIT_OUTBOX_CRASH_AT=<step>:<when>[,<step>:<when>…]`
 * kills this process with SIGKILL at a step: `<when>` below 1 is a probability per pass, an integer n ≥ 1 means
 * "on the n-th pass". Unset (always, in production) it does nothing. Documented in the README's outbox section.
 */
export type CrashStep =
  /** The internal event is published; the transaction is not committed yet. */
  | 'after-internal-publish'
  /** The transaction committed; the client has no answer yet. */
  | 'after-commit'
  /** The relay published the final event; the marker is not deleted yet. */
  | 'after-relay-publish'
  /** The relay deleted the marker; the internal event is not acknowledged yet. */
  | 'after-marker-delete';

const plan = new Map<string, { probability?: number; nth?: number; passes: number }>();
for (const part of (process.env.DAPRKIT_OUTBOX_CRASH_AT ?? '').split(',')) {
  const [step, when] = part.trim().split(':');
  const value = Number(when);
  if (!step || !Number.isFinite(value) || value <= 0) continue;
  plan.set(step, value < 1 ? { probability: value, passes: 0 } : { nth: Math.floor(value), passes: 0 });
}

export function crashPoint(step: CrashStep): void {
  const rule = plan.get(step);
  if (rule === undefined) return;
  rule.passes++;
  const fire = rule.nth !== undefined ? rule.passes === rule.nth : Math.random() < (rule.probability ?? 0);
  if (!fire) return;
  process.stderr.write(`DAPRKIT_OUTBOX_CRASH_AT: killing the sidecar at ${step}\n`);
  process.kill(process.pid, 'SIGKILL');
}
