/** Input binding cases (conformance.md §3.2, the `read` direction). */
import { check } from '../harness/assert.js';
import { type ConformanceCase, notOnWire } from '../harness/case.js';
import { checkPing, PING_SENTINELS } from '../harness/ping.js';
import { sleep, waitUntil, withTimeout } from '../harness/timing.js';
import type { InputBindingContext } from './options.js';

export const INPUT_BINDING_CASES: ConformanceCase<InputBindingContext>[] = [
  {
    id: 'B-INIT',
    title: 'init the input binding',
    run: async (c) => {
      await c.component.init(c.properties);
    },
  },
  {
    id: 'B-PING',
    title: 'ping succeeds or answers the not-implemented sentinel',
    run: (c) => checkPing(c.component, PING_SENTINELS.inputBinding, c.mode),
  },
  {
    id: 'B-READ',
    title: 'read starts delivery and returns without blocking',
    timeoutMs: (c) => c.config.readBindingTimeoutMs + c.config.readBindingWaitMs + 10_000,
    run: async (c) => {
      const handler = async () => {
        c.events++;
        return undefined;
      };
      await withTimeout(
        c.component.read(handler, c.reading.signal),
        c.config.readBindingTimeoutMs,
        'read (it must not block)',
      );
      await sleep(c.config.readBindingWaitMs);
    },
  },
  {
    id: 'B-VERIFY',
    title: 'the handler receives at least one event',
    timeoutMs: (c) => c.config.readBindingTimeoutMs + 10_000,
    run: async (c) => {
      await c.config.trigger?.();
      await waitUntil(() => c.events > 0, c.config.readBindingTimeoutMs, 50);
      check(c.events > 0, `no event within ${c.config.readBindingTimeoutMs} ms`);
      return `${c.events} event(s)`;
    },
  },
  {
    id: 'B-CLOSE',
    title: 'stop reading and close the input binding (twice: it must be idempotent)',
    gate: (c) => (c.mode === 'socket' ? notOnWire('the pluggable protocol has no Close RPC') : undefined),
    run: async (c) => {
      c.reading.abort();
      if (typeof c.component.close !== 'function') return 'no close(): nothing to release';
      await c.component.close();
      await c.component.close();
      return undefined;
    },
  },
];
