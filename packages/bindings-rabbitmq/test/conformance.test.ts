import { randomUUID } from 'node:crypto';
import { describeInputBindingConformance, describeOutputBindingConformance } from '@daprkit/conformance';
import { probeRabbitMQ, RABBITMQ_URL, RabbitAdmin } from '@daprkit/rabbitmq-common/testing';
import { afterAll } from 'vitest';
import { definitions, RabbitMQOutputBinding } from '../src/index.js';

const [input, output] = definitions as [(typeof definitions)[0], (typeof definitions)[0]];
const queue = `conformance-binding-${randomUUID().slice(0, 8)}`;
// Upstream's rabbitmq binding conformance config, on a queue of our own.
const properties = {
  host: RABBITMQ_URL,
  queueName: queue,
  durable: 'true',
  deleteWhenUnused: 'false',
  ttlInSeconds: '60',
  prefetchCount: '0',
  exclusive: 'false',
  maxPriority: '5',
  contentType: 'text/plain',
};
const backend = { name: 'rabbitmq', probe: () => probeRabbitMQ() };

describeOutputBindingConformance({
  definition: output,
  properties,
  operations: ['create'],
  backend,
  packageDir: new URL('..', import.meta.url),
});

describeInputBindingConformance({
  definition: input,
  properties,
  config: {
    readBindingWaitMs: 500,
    readBindingTimeoutMs: 20_000,
    // Upstream relies on the output binding's `create`: publish one event to the same queue.
    trigger: async () => {
      const out = new RabbitMQOutputBinding();
      await out.init(properties);
      try {
        await out.invoke({ operation: 'create', data: Buffer.from('conformance event'), metadata: {} });
      } finally {
        await out.close();
      }
    },
  },
  backend,
  packageDir: new URL('..', import.meta.url),
});

afterAll(async () => {
  let admin: RabbitAdmin | undefined;
  try {
    admin = await RabbitAdmin.open();
    await admin.remove({ queues: [queue] });
  } catch {
    // broker unreachable: nothing was declared
  } finally {
    await admin?.close();
  }
});
