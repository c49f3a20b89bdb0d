import { it } from 'vitest';
import { runStateConformance } from '../src/index.js';
import { MAP_STORE_OPERATIONS, MapStateStore, stateDefinition } from './fixtures/map-state-store.js';

it('scratch', async () => {
  const t = Date.now();
  const results = await runStateConformance({
    definition: stateDefinition(() => new MapStateStore()),
    operations: [...MAP_STORE_OPERATIONS],
    config: { ttlSeconds: 1 },
    modes: ['in-process'],
  });
  for (const r of results) console.log(r.mode, r.id, r.status, r.durationMs, r.error ?? r.note ?? '');
  console.log('total', Date.now() - t);
}, 120_000);
