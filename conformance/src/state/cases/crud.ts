/** S-CRUD-1/2/3 and S-PROTO: basic set/get/delete over the §1.2 scenarios. */
import { step } from '../../harness/assert.js';
import { type ConformanceCase, whenClaimed } from '../../harness/case.js';
import { basicScenarios, checkStateValue, deleteRequest, getRequest, metaOf, setRequest } from '../fixtures.js';
import type { StateContext } from '../options.js';

export const crudSet: ConformanceCase<StateContext> = {
  id: 'S-CRUD-1',
  title: 'set every basic scenario',
  run: async (c) => {
    for (const s of basicScenarios(c.base)) {
      const key = c.key(s.suffix);
      await step(`set ${key}`, () => c.component.set(setRequest(key, s.value, { metadata: metaOf(s) })));
    }
  },
};

export const crudGet: ConformanceCase<StateContext> = {
  id: 'S-CRUD-2',
  title: 'get returns every basic scenario value',
  run: async (c) => {
    for (const s of basicScenarios(c.base)) {
      const key = c.key(s.suffix);
      const response = await step(`get ${key}`, () => c.component.get(getRequest(key, metaOf(s))));
      checkStateValue(response.data, s.value, `get ${key}`);
    }
  },
};

/** Protobuf of a message whose int32 field 1 is -1: not valid UTF-8, the actor state binary-safety check. */
const PROTO_MINUS_ONE = new Uint8Array([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);

export const proto: ConformanceCase<StateContext> = {
  id: 'S-PROTO',
  title: 'set and get protobuf bytes byte-exact',
  gate: whenClaimed('actorStateStore'),
  run: async (c) => {
    const key = c.key('-proto');
    await step('set proto', () => c.component.set(setRequest(key, PROTO_MINUS_ONE)));
    const response = await step('get proto', () => c.component.get(getRequest(key)));
    checkStateValue(response.data, PROTO_MINUS_ONE, `get ${key}`);
  },
};

/** Includes the two transaction keys that were never written: deleting a missing key is not an error. */
const DELETED_SUFFIXES = ['-to-be-deleted', '-trx-to-be-deleted', '-trx-to-be-deleted-too'];

export const crudDelete: ConformanceCase<StateContext> = {
  id: 'S-CRUD-3',
  title: 'delete (also of missing keys) leaves no data',
  run: async (c) => {
    for (const suffix of DELETED_SUFFIXES) {
      const key = c.key(suffix);
      await step(`delete ${key}`, () => c.component.delete(deleteRequest(key)));
      const response = await step(`get ${key}`, () => c.component.get(getRequest(key)));
      checkStateValue(response.data, undefined, `get ${key} after delete`);
    }
  },
};
