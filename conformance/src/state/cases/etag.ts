/**
 * S-ETAG-1..12 (gate `etag`): optimistic concurrency on single and bulk writes. Steps share state: the ETags
 * read in one step are the ones the next step relies on.
 */
import { type BulkGetItem, bulk, DaprkitError, StateFeature } from '@daprkit/component-sdk';
import {
  check,
  checkEqual,
  errorText,
  expectRejection,
  fail,
  isEmptyBytes,
  isEmptyText,
  step,
} from '../../harness/assert.js';
import { type ConformanceCase, whenClaimed } from '../../harness/case.js';
import { advertisedFeatures, checkStateValue, deleteRequest, etagKindOf, getRequest, setRequest } from '../fixtures.js';
import type { StateContext } from '../options.js';

const FIRST = 'first-value';
const SECOND = 'second-value';
const THIRD = 'third-value';

const keysOf = (c: StateContext) => [1, 2, 3, 4].map((n) => c.key(`-etag${n}`)) as [string, string, string, string];

function remembered(c: StateContext, key: string): string {
  const etag = c.etags.get(key);
  check(etag, `no ETag remembered for ${key} (an earlier S-ETAG step failed)`);
  return etag;
}

async function readOne(c: StateContext, key: string, expected: unknown): Promise<string> {
  const response = await step(`get ${key}`, () => c.component.get(getRequest(key)));
  check(!isEmptyText(response.etag), `get ${key} returned no ETag`);
  checkStateValue(response.data, expected, `get ${key}`);
  return response.etag!;
}

async function readMany(c: StateContext, keys: string[], expected: unknown): Promise<Map<string, BulkGetItem>> {
  const items = await step('bulkGet', () =>
    bulk.get(
      c.component,
      keys.map((k) => getRequest(k)),
    ),
  );
  checkEqual(items.length, keys.length, 'bulkGet entry count');
  const byKey = new Map(items.map((item) => [item.key, item]));
  for (const key of keys) {
    const item = byKey.get(key);
    check(item, `bulkGet has no entry for ${key}`);
    if (expected === undefined) {
      check(isEmptyBytes(item.data) && isEmptyText(item.etag), `bulkGet ${key}: expected no data and no ETag`);
    } else {
      check(!isEmptyText(item.etag), `bulkGet ${key} returned no ETag`);
      checkStateValue(item.data, expected, `bulkGet ${key}`);
    }
  }
  return byKey;
}

function checkMismatch(err: unknown, what: string): void {
  const kind = etagKindOf(err);
  check(
    kind === 'mismatch',
    `${what}: expected an ETag error of kind 'mismatch', got ${kind ? `kind '${kind}'` : `'${errorText(err)}'`}`,
  );
}

/**
 * A bulk failure on one key. In process it is a BulkError naming exactly that key; over the wire the whole
 * call has one status, so the per-key attribution is lost and an ETag mismatch for the call is what daprd sees.
 */
function checkBulkMismatchOn(c: StateContext, err: unknown, key: string): void {
  const errors = DaprkitError.isInstance(err) ? (err as { errors?: unknown }).errors : undefined;
  if (Array.isArray(errors)) {
    checkEqual(errors.length, 1, 'number of per-key errors');
    const only = errors[0] as { key?: unknown; cause?: unknown };
    checkEqual(only.key, key, 'failed key');
    checkMismatch(only.cause, `error for ${key}`);
    return;
  }
  if (c.mode === 'socket') {
    checkMismatch(err, 'bulk call');
    return;
  }
  fail(`expected a BulkError with one BulkStoreError for ${key}, got '${errorText(err)}'`);
}

const etagCase = (
  n: number,
  title: string,
  run: (c: StateContext) => Promise<void>,
): ConformanceCase<StateContext> => ({
  id: `S-ETAG-${n}`,
  title,
  gate: whenClaimed('etag'),
  run,
});

export const etagCases: ConformanceCase<StateContext>[] = [
  etagCase(1, 'ETAG is advertised', async (c) => {
    check(advertisedFeatures(c).has(StateFeature.ETag), 'ETAG is not advertised');
  }),
  etagCase(2, 'bulkSet four keys without ETags', async (c) => {
    await step('bulkSet', () =>
      bulk.set(
        c.component,
        keysOf(c).map((k) => setRequest(k, FIRST)),
      ),
    );
  }),
  etagCase(3, 'get and bulkGet return ETags', async (c) => {
    const [k1, ...rest] = keysOf(c);
    c.etags.set(k1, await readOne(c, k1, FIRST));
    for (const [key, item] of await readMany(c, rest, FIRST)) c.etags.set(key, item.etag!);
  }),
  etagCase(4, 'set with a bad ETag fails with kind mismatch', async (c) => {
    const [k1] = keysOf(c);
    const err = await expectRejection(
      () => c.component.set(setRequest(k1, SECOND, { etag: c.config.badEtag })),
      'set with bad ETag',
    );
    checkMismatch(err, 'set with bad ETag');
  }),
  etagCase(5, 'set with the current ETag succeeds and changes it', async (c) => {
    const [k1] = keysOf(c);
    const before = remembered(c, k1);
    await step('set with ETag', () => c.component.set(setRequest(k1, SECOND, { etag: before })));
    const after = await readOne(c, k1, SECOND);
    check(after !== before, `ETag of ${k1} did not change after a write`);
    c.etags.set(k1, after);
  }),
  etagCase(6, 'bulkSet with one bad ETag reports exactly that key', async (c) => {
    const [, k2, k3] = keysOf(c);
    const err = await expectRejection(
      () =>
        bulk.set(c.component, [
          setRequest(k2, SECOND, { etag: c.config.badEtag }),
          setRequest(k3, SECOND, { etag: remembered(c, k3) }),
        ]),
      'bulkSet with one bad ETag',
    );
    checkBulkMismatchOn(c, err, k2);
  }),
  etagCase(7, 'the failed item is untouched, the other one written', async (c) => {
    const [, k2, k3] = keysOf(c);
    checkEqual(await readOne(c, k2, FIRST), remembered(c, k2), `ETag of untouched ${k2}`);
    const changed = await readOne(c, k3, SECOND);
    check(changed !== remembered(c, k3), `ETag of ${k3} did not change after a write`);
    c.etags.set(k3, changed);
  }),
  etagCase(8, 'bulkSet with correct ETags succeeds', async (c) => {
    const [, k2, k3] = keysOf(c);
    await step('bulkSet', () =>
      bulk.set(
        c.component,
        [k2, k3].map((k) => setRequest(k, THIRD, { etag: remembered(c, k) })),
      ),
    );
    for (const [key, item] of await readMany(c, [k2, k3], THIRD)) c.etags.set(key, item.etag!);
  }),
  etagCase(9, 'delete with a bad ETag fails with an ETag error', async (c) => {
    const [k1] = keysOf(c);
    const err = await expectRejection(
      () => c.component.delete(deleteRequest(k1, { etag: c.config.badEtag })),
      'delete with bad ETag',
    );
    check(etagKindOf(err), `delete with bad ETag: expected an ETag error, got '${errorText(err)}'`);
  }),
  etagCase(10, 'delete with the current ETag removes data and ETag', async (c) => {
    const [k1] = keysOf(c);
    await step('delete with ETag', () => c.component.delete(deleteRequest(k1, { etag: remembered(c, k1) })));
    const response = await step(`get ${k1}`, () => c.component.get(getRequest(k1)));
    check(isEmptyBytes(response.data) && isEmptyText(response.etag), `${k1} still has data or an ETag after delete`);
  }),
  etagCase(11, 'bulkDelete with one bad ETag reports exactly that key', async (c) => {
    const [, k2, k3] = keysOf(c);
    const err = await expectRejection(
      () =>
        bulk.delete(c.component, [
          deleteRequest(k2, { etag: remembered(c, k2) }),
          deleteRequest(k3, { etag: c.config.badEtag }),
        ]),
      'bulkDelete with one bad ETag',
    );
    checkBulkMismatchOn(c, err, k3);
    const gone = await step(`get ${k2}`, () => c.component.get(getRequest(k2)));
    check(isEmptyBytes(gone.data) && isEmptyText(gone.etag), `${k2} was not deleted`);
    checkEqual(await readOne(c, k3, THIRD), remembered(c, k3), `ETag of untouched ${k3}`);
  }),
  etagCase(12, 'bulkDelete with correct ETags removes both', async (c) => {
    const [, , k3, k4] = keysOf(c);
    await step('bulkDelete', () =>
      bulk.delete(
        c.component,
        [k3, k4].map((k) => deleteRequest(k, { etag: remembered(c, k) })),
      ),
    );
    await readMany(c, [k3, k4], undefined);
  }),
];
