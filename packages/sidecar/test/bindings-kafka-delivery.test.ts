/**
 * bindings.kafka in process in the sidecar (resolved through the default registry): records published through
 * `POST /v1.0/bindings/<output>` reach the app as `POST /<input>` with the Kafka metadata as headers, and an app answering 500 gets the message again (consumeRetryEnabled) before anything behind it.
 */
import { randomUUID } from 'node:crypto';
import { CommunicationProtocolEnum, DaprServer, LogLevel } from '@dapr/dapr';
import { silentLogger } from '@daprkit/component-sdk';
import { freePort } from '@daprkit/component-sdk/testing';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSidecar, type Sidecar } from '../src/index.js';
import { http, type Recorded, startApp, waitFor } from './support.js';

const BROKERS = process.env.DAPRKIT_KAFKA_BROKERS ?? '127.0.0.1:9092';

async function probeKafka(): Promise<string | undefined> {
  const admin = new kafkajs.Kafka({
    brokers: BROKERS.split(','),
    connectionTimeout: 1000,
    retry: { retries: 1 },
    logLevel: kafkajs.logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await admin.disconnect();
  }
}

const unreachable = await probeKafka();
if (unreachable !== undefined && process.env.CI === 'true') throw new Error(`Kafka required in CI: ${unreachable}`);

describe.skipIf(unreachable !== undefined)(
  `bindings.kafka input delivery through the sidecar${unreachable ? ` [skipped: Kafka unreachable: ${unreachable}]` : ''}`,
  () => {
    const topic = `daprkit-sidecar-binding-${randomUUID()}`;
    const received: Recorded[] = [];
    let failuresLeft = 2;
    let app: Awaited<ReturnType<typeof startApp>>;
    let sidecar: Sidecar;

    beforeAll(async () => {
      app = await startApp({
        'OPTIONS /orders-in': (_r, res) => void res.writeHead(200).end(),
        'POST /orders-in': (r, res) => {
          received.push(r);
          if (r.body === '"poison"' && failuresLeft-- > 0) {
            res.writeHead(500).end('not now');
            return;
          }
          res.writeHead(200).end();
        },
      });
      const kafka = { brokers: BROKERS, authType: 'none', initialOffset: 'oldest' };
      sidecar = await createSidecar({
        appId: 'kafka-binding-app',
        appPort: app.port,
        httpPort: 0,
        grpcPort: false,
        logger: silentLogger,
        components: [
          {
            name: 'orders-in',
            type: 'bindings.kafka',
            metadata: {
              ...kafka,
              direction: 'input',
              topics: topic,
              consumerGroup: `g-${randomUUID()}`,
              consumeRetryEnabled: 'true',
              backOffDuration: '50ms',
            },
          },
          {
            name: 'orders-out',
            type: 'bindings.kafka',
            metadata: { ...kafka, direction: 'output', publishTopic: topic },
          },
        ],
      });
      await sidecar.ready;
    });

    afterAll(async () => {
      await sidecar?.close();
      await app?.close();
    });

    it('delivers records published through the binding API to the app, with metadata as headers', async () => {
      for (const [data, key] of [
        ['"first"', 'k1'],
        ['"poison"', 'k1'],
        ['"third"', 'k1'],
      ] as const) {
        const response = await http(
          sidecar.httpPort,
          'POST',
          '/v1.0/bindings/orders-out',
          JSON.stringify({ operation: 'create', data: JSON.parse(data), metadata: { partitionKey: key } }),
        );
        expect(response.status).toBe(204);
      }
      await waitFor(() => received.filter((r) => r.body === '"third"').length === 1, 30_000);
      // `direction: input` is explicit, so (as daprd) the sidecar does not probe with OPTIONS first.
      expect(app.requests.some((r) => r.method === 'OPTIONS')).toBe(false);
      // One partition (same key): in order, the rejected message twice more before the next one.
      expect(received.map((r) => r.body)).toEqual(['"first"', '"poison"', '"poison"', '"poison"', '"third"']);
      const headers = received[0]!.headers;
      expect(headers.__topic).toBe(topic);
      expect(headers.__key).toBe('k1');
      expect(headers.partitionkey ?? headers.partitionKey).toBe('k1');
      expect(headers.__offset).toMatch(/^\d+$/);
    });
  },
);

describe.skipIf(unreachable !== undefined)(
  `bindings.kafka input delivery to a gRPC app (OnBindingEvent)${unreachable ? ` [skipped: Kafka unreachable: ${unreachable}]` : ''}`,
  () => {
    const topic = `daprkit-sidecar-binding-grpc-${randomUUID()}`;
    const received: unknown[] = [];
    let rejectsLeft = 1;
    let server: DaprServer;
    let sidecar: Sidecar;

    beforeAll(async () => {
      const appPort = await freePort();
      sidecar = await createSidecar({
        appId: 'kafka-binding-grpc-app',
        appPort,
        appProtocol: 'grpc',
        httpPort: 0,
        grpcPort: 0,
        logger: silentLogger,
        components: [
          {
            name: 'orders-grpc',
            type: 'bindings.kafka',
            metadata: {
              brokers: BROKERS,
              authType: 'none',
              initialOffset: 'oldest',
              topics: topic,
              publishTopic: topic,
              consumerGroup: `g-${randomUUID()}`,
              consumeRetryEnabled: 'true',
              backOffDuration: '50ms',
            },
          },
        ],
      });
      server = new DaprServer({
        serverHost: '127.0.0.1',
        serverPort: String(appPort),
        communicationProtocol: CommunicationProtocolEnum.GRPC,
        clientOptions: {
          daprHost: '127.0.0.1',
          daprPort: String(sidecar.grpcPort),
          communicationProtocol: CommunicationProtocolEnum.GRPC,
        },
        logger: { level: LogLevel.Error },
      });
      await server.binding.receive('orders-grpc', async (data: unknown) => {
        if ((data as { n?: number }).n === 2 && rejectsLeft-- > 0) throw new Error('not yet');
        received.push(data);
      });
      await server.start();
      await sidecar.ready;
    });

    afterAll(async () => {
      await sidecar?.close();
      await server?.stop().catch(() => {});
    });

    it('delivers each record through OnBindingEvent; a failing handler gets it again', async () => {
      for (const n of [1, 2, 3]) {
        const response = await http(
          sidecar.httpPort,
          'POST',
          '/v1.0/bindings/orders-grpc',
          JSON.stringify({ operation: 'create', data: { n }, metadata: { partitionKey: 'same' } }),
        );
        expect(response.status).toBe(204);
      }
      await waitFor(() => received.length >= 3, 30_000);
      expect(received).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
      expect(rejectsLeft).toBeLessThan(0);
    });
  },
);
