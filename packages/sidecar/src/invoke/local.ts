/**
 * The callee side: a call for this app, delivered over the app channel, at most `--app-max-concurrency` at once
 * (the rest wait in arrival order, as daprd's concurrency limiter queues them).
 */

import type { AppChannel } from '../app/app-channel.js';
import { APP_UNHEALTHY_MESSAGE } from '../app/app-health.js';
import { GRPC, type InvokeCall, InvokeError, type InvokeResult } from '../shared/invocation.js';

/** A FIFO counting semaphore; `limit` ≤ 0 means unlimited. */
export class ConcurrencyLimit {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.limit <= 0) return task();
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

export function localInvoker(
  appChannel: () => AppChannel | undefined,
  limit: ConcurrencyLimit,
  appHealthy: () => boolean = () => true,
): (call: InvokeCall) => Promise<InvokeResult> {
  return (call) => {
    const channel = appChannel();
    if (channel === undefined) return Promise.reject(new InvokeError(GRPC.INTERNAL, 'app channel is not initialized'));
    if (!appHealthy()) return Promise.reject(new InvokeError(GRPC.INTERNAL, APP_UNHEALTHY_MESSAGE));
    return limit.run(() => channel.invoke(call));
  };
}
