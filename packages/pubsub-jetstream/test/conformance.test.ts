import { describePubSubConformance } from '@daprkit/conformance';
import { afterAll } from 'vitest';
import { definitions } from '../src/index.js';
import { createStream, NATS_URL, natsReachable, openNats, probeNats } from './support/nats.js';

// The component never creates streams: one per run holds every conformance subject.
const nats = natsReachable ? await openNats() : undefined;
const stream = nats ? await createStream(nats.jsm, 'conformance') : { name: 'none', prefix: 'none' };
const topic = (name: string) => `${stream.prefix}.${name}`;

describePubSubConformance({
  definition: definitions[0]!,
  // Upstream's jetstream conformance settings.
  properties: { natsURL: NATS_URL, name: 'config-test', flowControl: 'true', heartbeat: '5s' },
  operations: [],
  config: {
    testTopicName: topic('testTopic'),
    testMultiTopic1Name: topic('multiTopic1'),
    testMultiTopic2Name: topic('multiTopic2'),
    extensionTopicPrefix: topic('ext-'),
  },
  backend: { name: 'nats-jetstream', probe: () => probeNats() },
  packageDir: new URL('..', import.meta.url),
});

afterAll(async () => {
  if (!nats) return;
  await nats.jsm.streams.delete(stream.name).catch(() => {});
  await nats.nc.close();
});
