/** Delivery to a gRPC app (`--app-protocol grpc`): an official @dapr/dapr DaprServer subscribes over AppCallback. */
import { CommunicationProtocolEnum, DaprPubSubStatusEnum, DaprServer, LogLevel } from '@dapr/dapr';
import { freePort } from '@daprkit/component-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureSidecarBuilt,
  http,
  type SidecarProcess,
  startSidecarProcess,
  stopAllProcesses,
  waitFor,
} from './support.js';

let sidecar: SidecarProcess;
let server: DaprServer;
const received: unknown[] = [];
let flakyAttempts = 0;

beforeAll(async () => {
  await ensureSidecarBuilt();
  const appPort = await freePort();
  sidecar = await startSidecarProcess([
    '--app-id',
    'grpc-app',
    '--app-port',
    String(appPort),
    '--app-protocol',
    'grpc',
  ]);
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
  await server.pubsub.subscribe('pubsub', 'grpc-orders', async (data: unknown) => {
    received.push(data);
  });
  await server.pubsub.subscribe('pubsub', 'grpc-flaky', async () => {
    flakyAttempts++;
    return flakyAttempts < 2 ? DaprPubSubStatusEnum.RETRY : DaprPubSubStatusEnum.SUCCESS;
  });
  await server.start();
  await waitFor(
    async () => (await http(sidecar.httpPort, 'GET', '/v1.0/healthz')).status === 204 || undefined,
    15_000,
    'sidecar ready',
  );
});

afterAll(async () => {
  // Sidecar first: its AppCallback connection would otherwise keep the app's gRPC server from shutting down.
  await stopAllProcesses();
  await server?.stop().catch(() => {});
});

describe('gRPC app delivery', () => {
  it('lists the app subscriptions via ListTopicSubscriptions', async () => {
    const metadata = (await http(sidecar.httpPort, 'GET', '/v1.0/metadata')).json as {
      subscriptions: { topic: string }[];
    };
    expect(metadata.subscriptions.map((s) => s.topic)).toEqual(expect.arrayContaining(['grpc-orders', 'grpc-flaky']));
  });

  it('delivers events through OnTopicEvent and redelivers on RETRY', async () => {
    await server.client.pubsub.publish('pubsub', 'grpc-orders', { id: 42 });
    await waitFor(() => received[0], 10_000, 'gRPC delivery');
    expect(received[0]).toEqual({ id: 42 });
    await server.client.pubsub.publish('pubsub', 'grpc-flaky', 'again');
    await waitFor(() => (flakyAttempts >= 2 ? true : undefined), 10_000, 'gRPC redelivery');
  });
});
