import { type ConformanceCase, notOnWire } from '../../harness/case.js';
import { checkPing, PING_SENTINELS } from '../../harness/ping.js';
import type { StateContext } from '../options.js';

export const init: ConformanceCase<StateContext> = {
  id: 'S-INIT',
  title: 'init with the component properties',
  run: async (c) => {
    await c.component.init(c.properties);
  },
};

export const ping: ConformanceCase<StateContext> = {
  id: 'S-PING',
  title: 'ping succeeds or answers the not-implemented sentinel',
  run: (c) => checkPing(c.component, PING_SENTINELS.state, c.mode),
};

/** [EXTENSION] The contract says close must be safe to call more than once; daprd has no Close RPC. */
export const close: ConformanceCase<StateContext> = {
  id: 'S-X-CLOSE',
  title: 'close succeeds and is idempotent',
  gate: (c) => (c.mode === 'socket' ? notOnWire('the pluggable protocol has no Close RPC') : undefined),
  run: async (c) => {
    const store = c.component;
    if (typeof store.close !== 'function') return 'no close(): nothing to release';
    await store.close();
    await store.close();
  },
};
