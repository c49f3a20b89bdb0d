/**
 * [EXTENSION] seed semantics, always on where the capability is claimed: option pass-through, first-write and
 * last-write rules with real (stale) ETags, stale deletes, bulk-get order, and the lost-update race.
 */
import { bulk } from '@daprkit/component-sdk';
import { check, checkEqual, errorText, expectRejection, fail, isEmptyText, step } from '../../harness/assert.js';
import { type ConformanceCase, whenClaimed } from '../../harness/case.js';
import { checkStateValue, deleteRequest, etagKindOf, getRequest, setRequest, text } from '../fixtures.js';
import type { StateContext } from '../options.js';

const both = (a: string, b: string) => (c: StateContext) =>
  whenClaimed<StateContext>(a)(c) ?? whenClaimed<StateContext>(b)(c);

/** Writes `v1`, then `v2`, and returns the ETag `v1` had: a real token of this store that is now stale. */
async function staleEtagFor(c: StateContext, key: string): Promise<string> {
  await step('set v1', () => c.component.set(setRequest(key, 'v1')));
  const stale = (await c.component.get(getRequest(key))).etag;
  check(stale, `get ${key} returned no ETag`);
  await step('set v2', () => c.component.set(setRequest(key, 'v2')));
  return stale;
}

function checkMismatch(err: unknown, what: string): void {
  const kind = etagKindOf(err);
  check(
    kind === 'mismatch',
    `${what}: expected an ETag error of kind 'mismatch', got ${kind ? `kind '${kind}'` : `'${errorText(err)}'`}`,
  );
}

export const consistencyPassThrough: ConformanceCase<StateContext> = {
  id: 'S-X-CONSISTENCY',
  title: 'consistency strong/eventual pass through get, set and delete',
  run: async (c) => {
    for (const consistency of ['strong', 'eventual'] as const) {
      const key = c.key(`-consistency-${consistency}`);
      await step(`set (${consistency})`, () =>
        c.component.set(setRequest(key, consistency, { options: { consistency } })),
      );
      const read = await step(`get (${consistency})`, () => c.component.get(getRequest(key, {}, { consistency })));
      checkStateValue(read.data, consistency, `get (${consistency})`);
      await step(`delete (${consistency})`, () => c.component.delete(deleteRequest(key, { options: { consistency } })));
      checkStateValue((await c.component.get(getRequest(key))).data, undefined, `get after delete (${consistency})`);
    }
  },
};

export const firstWriteRules: ConformanceCase<StateContext> = {
  id: 'S-X-FIRST-WRITE',
  title: 'first-write: insert-only without ETag (even over a plain set), read ETag wins, stale ETag mismatches',
  gate: both('first-write', 'etag'),
  run: async (c) => {
    const key = c.key('-x-first-write');
    const firstWrite = { concurrency: 'first-write' } as const;
    await step('plain set', () => c.component.set(setRequest(key, 'plain')));
    await expectRejection(
      () => c.component.set(setRequest(key, 'blind', { options: firstWrite })),
      'first-write without ETag over an existing key',
    );
    const current = (await c.component.get(getRequest(key))).etag;
    check(current, 'get returned no ETag');
    await step('first-write with the read ETag', () =>
      c.component.set(setRequest(key, 'guarded', { etag: current, options: firstWrite })),
    );
    const err = await expectRejection(
      () => c.component.set(setRequest(key, 'late', { etag: current, options: firstWrite })),
      'first-write with a stale ETag',
    );
    checkMismatch(err, 'first-write with a stale ETag');
    checkStateValue((await c.component.get(getRequest(key))).data, 'guarded', 'value after the rejected writes');
  },
};

/**
 * Dapr's rule (in-memory, SQL, MongoDB, DynamoDB): a present ETag is always checked; `last-write` only means
 * "no guard" when there is no ETag. Upstream Redis ignores the ETag under last-write: `lastWriteIgnoresETag`.
 */
export const lastWriteRules: ConformanceCase<StateContext> = {
  id: 'S-X-LAST-WRITE',
  title: 'last-write: no ETag overwrites, a stale ETag is still checked',
  gate: whenClaimed('etag'),
  run: async (c) => {
    const key = c.key('-x-last-write');
    const lastWrite = { concurrency: 'last-write' } as const;
    const stale = await staleEtagFor(c, key);
    await step('last-write without ETag', () => c.component.set(setRequest(key, 'v3', { options: lastWrite })));
    checkStateValue((await c.component.get(getRequest(key))).data, 'v3', 'after last-write without ETag');
    const write = () => c.component.set(setRequest(key, 'v4', { etag: stale, options: lastWrite }));
    if (c.config.lastWriteIgnoresETag) {
      await step('last-write with a stale ETag (declared ignored)', write);
      checkStateValue((await c.component.get(getRequest(key))).data, 'v4', 'after last-write with a stale ETag');
      return;
    }
    checkMismatch(await expectRejection(write, 'last-write with a stale ETag'), 'last-write with a stale ETag');
    checkStateValue((await c.component.get(getRequest(key))).data, 'v3', 'after the rejected write');
  },
};

export const staleDelete: ConformanceCase<StateContext> = {
  id: 'S-X-DELETE-STALE',
  title: 'delete with a stale ETag fails with kind mismatch and keeps the value',
  gate: whenClaimed('etag'),
  run: async (c) => {
    const key = c.key('-x-delete-stale');
    const stale = await staleEtagFor(c, key);
    const err = await expectRejection(
      () => c.component.delete(deleteRequest(key, { etag: stale })),
      'delete with a stale ETag',
    );
    checkMismatch(err, 'delete with a stale ETag');
    checkStateValue((await c.component.get(getRequest(key))).data, 'v2', 'value after the rejected delete');
  },
};

export const bulkGetOrder: ConformanceCase<StateContext> = {
  id: 'S-X-BULKGET-ORDER',
  title: 'bulkGet answers one entry per key, in request order',
  run: async (c) => {
    const present = [c.key('-x-order-a'), c.key('-x-order-b')];
    for (const key of present) await step(`set ${key}`, () => c.component.set(setRequest(key, key)));
    const keys = [present[1]!, c.key('-x-order-missing-1'), present[0]!, c.key('-x-order-missing-2'), present[1]!];
    const items = await step('bulkGet', () =>
      bulk.get(
        c.component,
        keys.map((k) => getRequest(k)),
      ),
    );
    checkEqual(
      items.map((item) => item.key),
      keys,
      'entry keys (request order, duplicates kept)',
    );
    items.forEach((item, i) => {
      check(isEmptyText(item.error), `entry ${i} (${item.key}) has error '${item.error}'`);
      checkStateValue(item.data, present.includes(keys[i]!) ? keys[i] : undefined, `entry ${i} (${item.key})`);
    });
  },
};

const WRITERS = 8;
const INCREMENTS = 50;
/** Each increment may lose many races; this only bounds a livelock. */
const MAX_ATTEMPTS_PER_INCREMENT = 10_000;

export const lostUpdate: ConformanceCase<StateContext> = {
  id: 'S-X-LOST-UPDATE',
  title: `${WRITERS} writers × ${INCREMENTS} read-modify-write increments with ETags lose nothing`,
  gate: whenClaimed('etag'),
  timeoutMs: () => 180_000,
  run: async (c) => {
    const key = c.key('-x-lost-update');
    await step('initialise counter', () => c.component.set(setRequest(key, 0)));
    let conflicts = 0;
    const increment = async () => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS_PER_INCREMENT; attempt++) {
        const current = await c.component.get(getRequest(key));
        check(current.etag, 'get returned no ETag');
        const next = Number(text(current.data)) + 1;
        try {
          await c.component.set(setRequest(key, next, { etag: current.etag, options: { concurrency: 'first-write' } }));
          return;
        } catch (err) {
          if (etagKindOf(err) !== 'mismatch')
            fail(`a conflicting write failed with '${errorText(err)}' instead of an ETag mismatch`);
          conflicts++;
        }
      }
      fail(`an increment lost ${MAX_ATTEMPTS_PER_INCREMENT} races in a row`);
    };
    const writer = async () => {
      for (let i = 0; i < INCREMENTS; i++) await increment();
    };
    await Promise.all(Array.from({ length: WRITERS }, writer));
    checkStateValue((await c.component.get(getRequest(key))).data, WRITERS * INCREMENTS, 'final counter');
    return `${conflicts} ETag conflicts retried`;
  },
};
