export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `condition` every `intervalMs` until it holds or `timeoutMs` elapses; returns whether it held.
 * The condition is checked once more at the deadline so a slow last poll is not lost.
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
  return condition();
}

export class TimeoutError extends Error {}

/** Rejects with a TimeoutError when `promise` does not settle within `ms`, so a hung component fails one case, not the run. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
