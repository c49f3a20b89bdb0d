import { it } from 'vitest';
import { runPubSubConformance, runStateConformance } from '../src/index.js';
import { FAIL_ENTRY_METADATA, MapPubSub, pubsubDefinition } from './fixtures/map-pubsub.js';
import { MAP_STORE_OPERATIONS, MapStateStore, stateDefinition } from './fixtures/map-state-store.js';

it('timing', async () => {
  for (const [label, stateConfig, pubsubConfig] of [
    ['defaults', {}, {}],
    ['fast', { ttlSeconds: 1 }, { waitDurationToPublishMs: 20, simulatedErrorDelayMs: 10 }],
  ] as const) {
    for (const mode of ['in-process', 'socket'] as const) {
      let t = Date.now();
      const s = await runStateConformance({ definition: stateDefinition(() => new MapStateStore()), operations: MAP_STORE_OPERATIONS, config: stateConfig, modes: [mode] });
      const st = Date.now() - t;
      t = Date.now();
      const p = await runPubSubConformance({
        definition: pubsubDefinition(() => new MapPubSub()), operations: ['bulkpublish'],
        config: { ...pubsubConfig, metadataRoundTrip: true, bulkPublishFailingEntry: () => ({ entryId: 'bad', event: new Uint8Array([1]), metadata: { [FAIL_ENTRY_METADATA]: 'true' } }) },
        modes: [mode],
      });
      const pt = Date.now() - t;
      const bad = [...s, ...p].filter((r) => r.status === 'failed').length;
      console.log(`TIMING ${label} ${mode}: state ${st} ms, pubsub ${pt} ms, failed ${bad}`);
    }
  }
}, 300_000);
