/** S-BULK-1/2/3: bulk set, get (one entry per key, missing keys as empty entries) and delete. */
import { bulk } from '@daprkit/component-sdk';
import { check, checkEqual, isEmptyText, step } from '../../harness/assert.js';
import type { ConformanceCase } from '../../harness/case.js';
import { BULK_SCENARIOS, checkStateValue, deleteRequest, getRequest, setRequest } from '../fixtures.js';
import type { StateContext } from '../options.js';

export const bulkSet: ConformanceCase<StateContext> = {
  id: 'S-BULK-1',
  title: 'bulkSet the bulk scenarios, each readable',
  run: async (c) => {
    const requests = BULK_SCENARIOS.map((s) => setRequest(c.key(s.suffix), s.value));
    await step('bulkSet', () => bulk.set(c.component, requests));
    for (const s of BULK_SCENARIOS) {
      const key = c.key(s.suffix);
      const response = await step(`get ${key}`, () => c.component.get(getRequest(key)));
      checkStateValue(response.data, s.value, `get ${key}`);
    }
  },
};

export const bulkGet: ConformanceCase<StateContext> = {
  id: 'S-BULK-2',
  title: 'bulkGet returns one entry per key, missing keys as empty entries',
  run: async (c) => {
    const keys = BULK_SCENARIOS.map((s) => c.key(s.suffix));
    const items = await step('bulkGet', () =>
      bulk.get(
        c.component,
        keys.map((k) => getRequest(k)),
      ),
    );
    checkEqual(items.length, keys.length, 'bulkGet entry count');
    for (const item of items) {
      const scenario = BULK_SCENARIOS.find((s) => c.key(s.suffix) === item.key);
      check(scenario, `bulkGet returned an entry for unrequested key '${item.key}'`);
      check(isEmptyText(item.error), `bulkGet entry ${item.key} has error '${item.error}'`);
      checkStateValue(item.data, scenario.value, `bulkGet ${item.key}`);
    }

    const first = BULK_SCENARIOS[0]!;
    const mixed = await step('bulkGet with a missing key', () =>
      bulk.get(c.component, [getRequest('doesnotexist'), getRequest(c.key(first.suffix))]),
    );
    checkEqual(mixed.length, 2, 'bulkGet entry count with a missing key');
    const missing = mixed.find((item) => item.key === 'doesnotexist');
    const present = mixed.find((item) => item.key === c.key(first.suffix));
    check(missing && present, `bulkGet keys: ${JSON.stringify(mixed.map((i) => i.key))}`);
    check(isEmptyText(missing.error), `missing key entry has error '${missing.error}' (must be empty)`);
    checkStateValue(missing.data, undefined, 'missing key entry');
    checkStateValue(present.data, first.value, `bulkGet ${present.key}`);
  },
};

export const bulkDelete: ConformanceCase<StateContext> = {
  id: 'S-BULK-3',
  title: 'bulkDelete removes the keys',
  run: async (c) => {
    const keys = BULK_SCENARIOS.filter((s) => s.toBeDeleted).map((s) => c.key(s.suffix));
    await step('bulkDelete', () =>
      bulk.delete(
        c.component,
        keys.map((k) => deleteRequest(k)),
      ),
    );
    for (const key of keys) {
      const response = await step(`get ${key}`, () => c.component.get(getRequest(key)));
      checkStateValue(response.data, undefined, `get ${key} after bulkDelete`);
    }
  },
};
