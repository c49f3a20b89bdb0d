import { randomUUID } from 'node:crypto';
import { describePubSubConformance } from '@daprkit/conformance';
import { definitions } from '../src/index.js';
import { BROKERS, probeKafka } from './support/kafka.js';

// Topics of their own per run: with initialOffset oldest, shared topics would replay every earlier run.
const run = `conf-${randomUUID()}`;

describePubSubConformance({
  definition: definitions[0]!,
  properties: {
    brokers: BROKERS,
    consumerGroup: run,
    initialOffset: 'oldest',
    authType: 'none',
    // Redeliveries after the suite's injected failures come quickly instead of every 5 s.
    backOffDuration: '100ms',
  },
  operations: ['bulkpublish'],
  config: {
    testTopicName: `${run}-testTopic`,
    testMultiTopic1Name: `${run}-multiTopic1`,
    testMultiTopic2Name: `${run}-multiTopic2`,
    extensionTopicPrefix: `${run}-ext-`,
    metadataRoundTrip: true,
    bulkPublishFailingEntry: () => ({
      entryId: 'no-such-partition',
      event: new TextEncoder().encode('never published'),
      contentType: 'text/plain',
      metadata: { partitionNumber: '99' },
    }),
  },
  backend: { name: 'kafka', probe: probeKafka },
  packageDir: new URL('..', import.meta.url),
});
