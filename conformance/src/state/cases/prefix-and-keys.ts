/**
 * S-DWP (gate `delete-with-prefix`) and S-KL (gate `keyslike`). Neither has a pluggable RPC, so over the
 * socket both are `not-on-wire` (their claim cases then check the feature is absent from Features).
 */
import { bulk, isDeleteWithPrefixStore, StateFeature } from '@daprkit/component-sdk';
import { check, checkEqual, errorText, expectRejection, isEmptyBytes, step } from '../../harness/assert.js';
import { type ConformanceCase, notClaimed, notOnWire, type Verdict } from '../../harness/case.js';
import { advertisedFeatures, getRequest, setRequest } from '../fixtures.js';
import type { StateContext, StateOperation } from '../options.js';

function offWireGate(operation: StateOperation) {
  return (c: StateContext): Verdict | undefined => {
    if (!c.claims.has(operation)) return notClaimed(`operation '${operation}' not claimed`);
    if (c.mode === 'socket') return notOnWire(`the pluggable protocol has no RPC for '${operation}'`);
    return undefined;
  };
}

/** Fixed keys, as upstream: only direct children of a prefix go, nothing after it may contain another `||`. */
const DWP_KEYS = ['prefix||key1', 'prefix||key2', 'prefix||prefix2||key3', 'other-prefix||key1', 'no-prefix'];

export const deleteWithPrefix: ConformanceCase<StateContext> = {
  id: 'S-DWP',
  title: 'deleteWithPrefix removes direct children only and requires a prefix',
  gate: offWireGate('delete-with-prefix'),
  run: async (c) => {
    const store = c.component;
    check(isDeleteWithPrefixStore(store), 'deleteWithPrefix() is not implemented');
    check(advertisedFeatures(c).has(StateFeature.DeleteWithPrefix), 'DELETE_WITH_PREFIX is not advertised');
    await step('bulkSet', () =>
      bulk.set(
        store,
        DWP_KEYS.map((k) => setRequest(k, new TextEncoder().encode(`value of ${k}`))),
      ),
    );
    const present = async (key: string) => !isEmptyBytes((await store.get(getRequest(key))).data);
    for (const key of DWP_KEYS) check(await present(key), `${key} not readable after bulkSet`);

    const first = await step("deleteWithPrefix 'prefix||'", () => store.deleteWithPrefix({ prefix: 'prefix||' }));
    checkEqual(first.count, 2, "count for 'prefix||'");
    check(
      !(await present('prefix||key1')) && !(await present('prefix||key2')),
      'direct children of prefix|| still present',
    );
    check(await present('prefix||prefix2||key3'), 'a nested key (prefix||prefix2||key3) was deleted');
    check(
      (await present('other-prefix||key1')) && (await present('no-prefix')),
      'keys outside the prefix were deleted',
    );

    const second = await step("deleteWithPrefix 'other-prefix'", () =>
      store.deleteWithPrefix({ prefix: 'other-prefix' }),
    );
    checkEqual(second.count, 1, "count for 'other-prefix' (|| appended)");
    check(!(await present('other-prefix||key1')), 'other-prefix||key1 still present');

    for (const prefix of ['', '||']) {
      const err = await expectRejection(() => store.deleteWithPrefix({ prefix }), `prefix '${prefix}'`);
      check(
        errorText(err).includes('prefix is required'),
        `prefix '${prefix}': error '${errorText(err)}' lacks 'prefix is required'`,
      );
    }
  },
};

export const keysLike: ConformanceCase<StateContext> = {
  id: 'S-KL',
  title: 'keysLike pattern listing',
  gate: offWireGate('keyslike'),
  run: async () => {
    // The v1 contract has no keysLike method yet, so a claim cannot be honoured; S-CLAIM-KL explains too.
    throw new Error(
      "'keyslike' is claimed, but the v1 state contract has no keysLike() and this suite has no positive cases for it",
    );
  },
};
