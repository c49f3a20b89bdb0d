import { randomUUID } from 'node:crypto';
import { describePubSubConformance } from '@daprkit/conformance';
import { probeRabbitMQ, RABBITMQ_URL, RabbitAdmin } from '@daprkit/rabbitmq-common/testing';
import { afterAll } from 'vitest';
import { definitions } from '../src/index.js';

const run = randomUUID().slice(0, 8);
const topic = (name: string) => `conformance-${run}-${name}`;
const consumerID = `conf-${run}`;

describePubSubConformance({
  definition: definitions[0]!,
  // Upstream's rabbitmq conformance settings (requeue on failure, one message at a time), our broker and names.
  properties: {
    connectionString: RABBITMQ_URL,
    consumerID,
    durable: 'false',
    deletedWhenUnused: 'false',
    autoAck: 'false',
    deliveryMode: '0',
    requeueInFailure: 'true',
    prefetchCount: '0',
    reconnectWaitSeconds: '1s',
    concurrencyMode: 'single',
  },
  config: {
    testTopicName: topic('testTopic'),
    testMultiTopic1Name: topic('multiTopic1'),
    testMultiTopic2Name: topic('multiTopic2'),
    extensionTopicPrefix: topic('ext-'),
    checkInOrderProcessing: false,
  },
  backend: { name: 'rabbitmq', probe: () => probeRabbitMQ() },
  packageDir: new URL('..', import.meta.url),
});

// deletedWhenUnused is false (as upstream): remove what the suite declared.
afterAll(async () => {
  let admin: RabbitAdmin | undefined;
  try {
    admin = await RabbitAdmin.open();
    const names = ['testTopic', 'multiTopic1', 'multiTopic2'].map(topic);
    const ext = ['Redelivery', 'NoLoss', 'IsolationA', 'IsolationB', 'IsolationC', 'BulkPartial', 'Metadata'].map((n) =>
      topic(`ext-${n}`),
    );
    const exchanges = [...names, ...ext];
    await admin.remove({ queues: exchanges.map((e) => `${consumerID}-${e}`), exchanges });
  } catch {
    // broker unreachable: the suite was skipped and declared nothing
  } finally {
    await admin?.close();
  }
});
