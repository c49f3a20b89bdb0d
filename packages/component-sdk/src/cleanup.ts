import type { Logger } from './v1/common.js';

export interface CleanupLoopOptions {
  /** Interval between runs in ms; `<= 0` disables the loop. */
  intervalMs: number;
  /**
   * Claims this run across every process sharing the backend (e.g. an upsert of a `last-cleanup` row that
   * only succeeds when the previous run is older than the interval). Return false to skip.
   */
  claim: () => Promise<boolean>;
  /** Deletes expired rows; returns how many. */
  deleteExpired: () => Promise<number>;
  logger: Logger;
  name: string;
}

/**
 * Background reclamation of expired rows for stores whose reads already filter on expiry (so a late or
 * skipped run never shows stale data). Runs serially, never overlaps itself, and does not keep the process alive.
 */
export function startCleanupLoop(options: CleanupLoopOptions): { stop(): Promise<void>; runOnce(): Promise<number> } {
  let running: Promise<number> | undefined;
  let stopped = false;
  const runOnce = async (): Promise<number> => {
    if (running) return running;
    running = (async () => {
      try {
        if (!(await options.claim())) return 0;
        const deleted = await options.deleteExpired();
        if (deleted > 0) options.logger.debug(`${options.name}: removed expired rows`, { deleted });
        return deleted;
      } catch (err) {
        options.logger.warn(`${options.name}: cleanup failed`, {
          error: err instanceof Error ? err.message : String(err),
        });
        return 0;
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const timer = options.intervalMs > 0 ? setInterval(() => void (stopped || runOnce()), options.intervalMs) : undefined;
  timer?.unref();
  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
