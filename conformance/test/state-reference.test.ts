import { describe, expect, it } from 'vitest';
import { type CaseResult, runStateConformance, STATE_CASES } from '../src/index.js';
import { MAP_STORE_OPERATIONS, MapStateStore, stateDefinition } from './fixtures/map-state-store.js';
import { expectCertified, idsWith, statusOf } from './helpers.js';

describe('the reference Map state store', () => {
  let results: CaseResult[];

  it('is certified in both modes', async () => {
    results = await runStateConformance({
      definition: stateDefinition(() => new MapStateStore()),
      operations: MAP_STORE_OPERATIONS,
      config: { ttlSeconds: 1 },
    });
    expectCertified(results);
    expect(results).toHaveLength(2 * STATE_CASES.length);
  }, 60_000);

  it('runs every claimed case and reports the wire limits', () => {
    for (const mode of ['in-process', 'socket'] as const) {
      expect(idsWith(results, 'not-claimed', mode)).toEqual(['S-KL']);
      expect(statusOf(results, 'S-X-LOST-UPDATE', mode)).toBe('passed');
      expect(statusOf(results, 'S-QUERY-5', mode)).toBe('passed');
    }
    expect(idsWith(results, 'not-on-wire', 'in-process')).toEqual([]);
    expect(idsWith(results, 'not-on-wire', 'socket')).toEqual(['S-DWP', 'S-X-CLOSE']);
    // Over the socket the DWP claim check turns into "never advertised on the wire", and passes.
    expect(statusOf(results, 'S-CLAIM-DWP', 'socket')).toBe('passed');
  });

  it('keeps the upstream case order', () => {
    const ids = STATE_CASES.map((c) => c.id);
    const order = [
      'S-INIT',
      'S-PING',
      'S-CRUD-1',
      'S-CRUD-2',
      'S-PROTO',
      'S-QUERY-1',
      'S-CRUD-3',
      'S-BULK-1',
      'S-TX-1',
      'S-ETAG-1',
      'S-FW-1',
      'S-TTL-1',
      'S-DWP',
    ];
    expect(order.map((id) => ids.indexOf(id))).toEqual([...order.map((id) => ids.indexOf(id))].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
  });
});
