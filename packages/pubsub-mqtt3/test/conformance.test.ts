import { randomUUID } from 'node:crypto';
import { describePubSubConformance } from '@daprkit/conformance';
import { MQTT_URL, probeMqtt } from '@daprkit/mqtt-common/testing';
import { definitions } from '../src/index.js';

/** Topics and the client ID are unique per run, so a persistent session of an earlier run never interferes. */
const run = randomUUID();
const topic = (name: string) => `conformance/${run}/${name}`;

describePubSubConformance({
  definition: definitions[0]!,
  // Upstream's mqtt3 conformance settings (qos 1, no retain, persistent session), with a client ID per run.
  properties: {
    url: MQTT_URL,
    consumerID: `conf-${run}`,
    qos: '1',
    retain: 'false',
    cleanSession: 'false',
  },
  operations: [],
  config: {
    testTopicName: topic('testTopic'),
    testMultiTopic1Name: topic('multiTopic1'),
    testMultiTopic2Name: topic('multiTopic2'),
    extensionTopicPrefix: topic('ext-'),
    // Concurrent handlers (as contrib: ordered delivery off), so no ordering claim.
    checkInOrderProcessing: false,
  },
  backend: { name: 'mosquitto', probe: () => probeMqtt() },
  packageDir: new URL('..', import.meta.url),
});
