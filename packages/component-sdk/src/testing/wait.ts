/** Small waiting helpers for tests that drive real processes, ports and sockets. */
import { createServer } from 'node:net';

/** A TCP port free on 127.0.0.1 right now (bound, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Polls `probe` every `intervalMs` until it returns something other than `undefined`/`false`, and resolves with it.
 * After `timeoutMs` it rejects with "timed out waiting for <what>" plus `detail()` (e.g. the end of a process log).
 */
export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
  what = 'condition',
  { intervalMs = 50, detail }: { intervalMs?: number; detail?: () => string } = {},
): Promise<Exclude<T, false>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value as Exclude<T, false>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${detail ? `\n${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
