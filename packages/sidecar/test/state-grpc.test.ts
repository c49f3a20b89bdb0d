/** The gRPC runtime API driven by the official @dapr/dapr gRPC client. */
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStateFlow } from './state-flow.js';
import {
  ensureSidecarBuilt,
  http,
  type SidecarProcess,
  startApp,
  startSidecarProcess,
  stopAllProcesses,
  waitFor,
} from './support.js';

let sidecar: SidecarProcess;
let client: DaprClient;
let app: Awaited<ReturnType<typeof startApp>>;

beforeAll(async () => {
  await ensureSidecarBuilt();
  app = await startApp({
    'GET /dapr/subscribe': (_r, res) =>
      void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end('[{"pubsubname":"pubsub","topic":"grpc-topic","route":"/events"}]'),
    '/events': (_r, res) => void res.writeHead(200).end(),
  });
  sidecar = await startSidecarProcess(['--app-id', 'grpc-app', '--app-port', String(app.port)], {
    DAPR_API_TOKEN: 'api-secret',
  });
  client = new DaprClient({
    daprHost: '127.0.0.1',
    daprPort: String(sidecar.grpcPort),
    communicationProtocol: CommunicationProtocolEnum.GRPC,
    daprApiToken: 'api-secret',
    logger: { level: LogLevel.Error },
  });
});

afterAll(async () => {
  await client?.stop();
  await stopAllProcesses();
  await app?.close();
});

describe('@dapr/dapr gRPC client against daprkit-sidecar', () => {
  it('reads metadata', async () => {
    const metadata = await client.metadata.get();
    expect(metadata.id).toBe('grpc-app');
    expect(metadata.components.find((c) => c.name === 'statestore')?.capabilities).toEqual(
      expect.arrayContaining(['ETAG', 'TRANSACTIONAL', 'ACTOR']),
    );
  });

  it('runs the state flow', async () => {
    await runStateFlow(client, 'statestore', 'grpc');
  });

  it('publishes single and bulk events that reach the app', async () => {
    await client.pubsub.publish('pubsub', 'grpc-topic', { via: 'grpc' });
    const bulk = await client.pubsub.publishBulk('pubsub', 'grpc-topic', [{ n: 1 }, { n: 2 }]);
    expect(bulk.failedMessages).toEqual([]);
    const delivered = await waitFor(() => {
      const bodies = app.requests.filter((r) => r.url === '/events').map((r) => JSON.parse(r.body).data);
      return bodies.length === 3 ? bodies : undefined;
    });
    expect(delivered).toEqual(expect.arrayContaining([{ via: 'grpc' }, { n: 1 }, { n: 2 }]));
  });

  it('maps API errors to gRPC statuses', async () => {
    await expect(client.state.get('no-such-store', 'k')).rejects.toThrow(/state store no-such-store is not found/);
  });

  it('requires the API token on HTTP too, except health', async () => {
    expect((await http(sidecar.httpPort, 'GET', '/v1.0/metadata')).status).toBe(401);
    expect((await http(sidecar.httpPort, 'GET', '/v1.0/metadata')).text).toBe('invalid api token');
    expect(
      (await http(sidecar.httpPort, 'GET', '/v1.0/metadata', undefined, { 'dapr-api-token': 'api-secret' })).status,
    ).toBe(200);
    expect((await http(sidecar.httpPort, 'GET', '/v1.0/healthz')).status).toBe(204);
  });
});
