import { randomUUID } from 'node:crypto';
import { describeInputBindingConformance, describeOutputBindingConformance } from '@daprkit/conformance';
import { definitions } from '../src/index.js';
import { BROKERS, probeKafka, quietKafka } from './support.js';

// Upstream's kafka profile (topics = publishTopic, consumerGroup, authRequired false, initialOffset oldest), with a
// topic and group of its own per run so earlier runs are never replayed.
const run = `conf-${randomUUID()}`;
const properties = {
  brokers: BROKERS,
  topics: `${run}-binding-topic`,
  publishTopic: `${run}-binding-topic`,
  consumerGroup: run,
  authRequired: 'false',
  initialOffset: 'oldest',
};
const backend = { name: 'kafka', probe: probeKafka };
const packageDir = new URL('..', import.meta.url);

describeOutputBindingConformance({
  definition: definitions.find((d) => d.kind === 'outputBinding')!,
  properties,
  operations: ['create'],
  backend,
  packageDir,
});

describeInputBindingConformance({
  definition: definitions.find((d) => d.kind === 'inputBinding')!,
  properties,
  config: {
    // Upstream's events come from the output binding's `create`; here an independent producer makes one.
    trigger: async () => {
      const producer = quietKafka().producer();
      await producer.connect();
      await producer.send({ topic: properties.topics, messages: [{ value: 'conformance' }] });
      await producer.disconnect();
    },
  },
  backend,
  packageDir,
});
