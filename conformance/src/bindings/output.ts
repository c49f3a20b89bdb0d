/** Output binding cases (conformance.md §3.2, the `operations` direction). */
import { check, checkEqual, describeValue, isEmptyBytes, step } from '../harness/assert.js';
import { type ConformanceCase, notClaimed, notOnWire } from '../harness/case.js';
import { checkPing, PING_SENTINELS } from '../harness/ping.js';
import type { OutputBindingContext } from './options.js';

const whenClaimed = (operation: string) => (c: OutputBindingContext) =>
  c.claims.has(operation) ? undefined : notClaimed(`operation '${operation}' not claimed`);

const invoke = (c: OutputBindingContext, operation: string) =>
  step(`invoke ${operation}`, () => c.component.invoke({ operation, data: c.data, metadata: { ...c.output } }));

export const OUTPUT_BINDING_CASES: ConformanceCase<OutputBindingContext>[] = [
  {
    id: 'B-INIT',
    title: 'init the output binding',
    run: async (c) => {
      await c.component.init(c.properties);
    },
  },
  {
    id: 'B-PING',
    title: 'ping succeeds or answers the not-implemented sentinel',
    run: (c) => checkPing(c.component, PING_SENTINELS.outputBinding, c.mode),
  },
  {
    id: 'B-OPS',
    title: 'operations() lists every claimed operation',
    run: async (c) => {
      const listed = new Set(c.component.operations().map((o) => o.toLowerCase()));
      const missing = [...c.claims].filter((o) => !listed.has(o.toLowerCase()));
      checkEqual(missing, [], 'claimed operations missing from operations()');
    },
  },
  {
    id: 'B-CREATE',
    title: 'invoke create',
    gate: whenClaimed('create'),
    run: async (c) => {
      await invoke(c, 'create');
      c.created = true;
    },
  },
  {
    id: 'B-GET',
    title: 'invoke get returns what create wrote',
    gate: whenClaimed('get'),
    run: async (c) => {
      const response = await invoke(c, 'get');
      if (!c.claims.has('create')) return 'create not claimed: response content not checked';
      check(c.created, 'B-CREATE did not succeed');
      check(
        response.data !== undefined && Buffer.from(response.data).equals(c.data),
        `get returned ${describeValue(response.data)}, expected the created ${describeValue(c.data)}`,
      );
      return undefined;
    },
  },
  {
    id: 'B-LIST',
    title: 'invoke list',
    gate: whenClaimed('list'),
    run: async (c) => {
      await invoke(c, 'list');
    },
  },
  {
    id: 'B-DELETE',
    title: 'invoke delete; a following get finds nothing',
    gate: whenClaimed('delete'),
    run: async (c) => {
      await invoke(c, 'delete');
      if (!(c.claims.has('create') && c.claims.has('get'))) return 'create/get not claimed: deletion not verified';
      const after = await invoke(c, 'get');
      check(isEmptyBytes(after.data), `get after delete returned ${describeValue(after.data)}`);
      return undefined;
    },
  },
  {
    id: 'B-CLOSE',
    title: 'close the output binding (twice: it must be idempotent)',
    gate: (c) => (c.mode === 'socket' ? notOnWire('the pluggable protocol has no Close RPC') : undefined),
    run: async (c) => {
      if (typeof c.component.close !== 'function') return 'no close(): nothing to release';
      await c.component.close();
      await c.component.close();
      return undefined;
    },
  },
];
