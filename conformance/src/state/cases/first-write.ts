/** S-FW-1/2 (gate `first-write`): insert-only without an ETag; with one, a normal ETag check. */
import { check, checkEqual, expectRejection, step } from '../../harness/assert.js';
import { type ConformanceCase, whenClaimed } from '../../harness/case.js';
import { checkStateValue, deleteRequest, getRequest, setRequest } from '../fixtures.js';
import type { StateContext } from '../options.js';

const encode = (s: string) => new TextEncoder().encode(s);
const VALUE_1 = encode('testValue1');
const VALUE_2 = encode('testValue2');
const FIRST_WRITE_STRONG = { concurrency: 'first-write', consistency: 'strong' } as const;

export const firstWriteWithoutEtag: ConformanceCase<StateContext> = {
  id: 'S-FW-1',
  title: 'first-write without an ETag (absent or empty) is insert-only',
  gate: whenClaimed('first-write'),
  run: async (c) => {
    const key = c.key('-firstwrite-test');
    for (const [label, etag] of [
      ['no etag', undefined],
      ['empty etag', ''],
    ] as const) {
      const write = (value: Uint8Array) =>
        c.component.set(
          setRequest(key, value, { options: FIRST_WRITE_STRONG, ...(etag === undefined ? {} : { etag }) }),
        );
      await step(`${label}: delete`, () => c.component.delete(deleteRequest(key)));
      await step(`${label}: first write`, () => write(VALUE_1));
      checkStateValue((await c.component.get(getRequest(key))).data, VALUE_1, `${label}: get`);
      await expectRejection(() => write(VALUE_2), `${label}: second first-write`);
    }
  },
};

export const firstWriteWithEtag: ConformanceCase<StateContext> = {
  id: 'S-FW-2',
  title: 'first-write with an ETag succeeds once, then the stale ETag fails',
  gate: whenClaimed('first-write'),
  run: async (c) => {
    const key = c.key('-firstwrite-etag-test');
    await step('plain set', () => c.component.set(setRequest(key, VALUE_1)));
    const e1 = (await c.component.get(getRequest(key))).etag;
    check(e1, 'get returned no ETag');
    const write = () => c.component.set(setRequest(key, VALUE_2, { etag: e1, options: FIRST_WRITE_STRONG }));
    await step('first-write with ETag', write);
    const after = await c.component.get(getRequest(key));
    check(after.etag && after.etag !== e1, 'ETag did not change after the write');
    checkStateValue(after.data, VALUE_2, 'get after first-write');
    await expectRejection(write, 'first-write with the stale ETag');
    checkEqual((await c.component.get(getRequest(key))).etag, after.etag, 'ETag after the rejected write');
  },
};
