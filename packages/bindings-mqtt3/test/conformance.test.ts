import { randomUUID } from 'node:crypto';
import { describeInputBindingConformance, describeOutputBindingConformance } from '@daprkit/conformance';
import { MQTT_URL, probeMqtt, rawMqtt } from '@daprkit/mqtt-common/testing';
import { definitions } from '../src/index.js';

/** Upstream's mqtt3 binding conformance settings, with a topic and client ID of our own per run. */
const run = randomUUID();
const properties = {
  url: MQTT_URL,
  consumerID: `conf-binding-${run}`,
  topic: `conformance/${run}/testBindingTopic`,
  retain: 'false',
  cleanSession: 'false',
  backOffMaxRetries: '5',
};
const backend = { name: 'mosquitto', probe: () => probeMqtt() };
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
    readBindingWaitMs: 500,
    // What upstream's `create` does for the input: a publish to the topic.
    trigger: async () => {
      const client = await rawMqtt();
      try {
        await client.publishAsync(properties.topic, 'conformance event', { qos: 1 });
      } finally {
        await client.endAsync();
      }
    },
  },
  backend,
  packageDir,
});
