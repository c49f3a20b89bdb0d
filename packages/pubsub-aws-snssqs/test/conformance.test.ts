import { randomUUID } from 'node:crypto';
import { probeAws } from '@daprkit/aws-common/testing';
import { describePubSubConformance } from '@daprkit/conformance';
import { definitions } from '../src/index.js';
import { pubsubProperties } from './support/aws.js';

const run = randomUUID().slice(0, 8);

// Upstream's docker profile (concurrencyMode single, no in-order check), a queue of this run, and a 1 s visibility
// timeout so a failed delivery comes back quickly (the upstream 10 s would only make the run slower).
describePubSubConformance({
  definition: definitions[0]!,
  properties: pubsubProperties({ consumerID: `daprkit-conformance-${run}`, concurrencyMode: 'single' }),
  config: {
    checkInOrderProcessing: false,
    testTopicName: `testTopic-${run}`,
    testMultiTopic1Name: `multiTopic1-${run}`,
    testMultiTopic2Name: `multiTopic2-${run}`,
    extensionTopicPrefix: `conformanceExt-${run}-`,
    // Every SNS publish is one HTTP call fanned out by moto: 200 keep the no-loss case to seconds (the kill test
    // covers 5,000 messages).
    noLossMessageCount: 200,
  },
  backend: { name: 'moto', probe: () => probeAws() },
  packageDir: new URL('..', import.meta.url),
});
