/**
 * Metrics and logs after a known load: daprd's metric names and labels with exact counts on the Prometheus
 * endpoint, `spec.metric` from a Configuration file, JSON log lines in daprd's shape, API logging.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { createLogger } from '@daprkit/component-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSidecar, type Sidecar } from '../src/sidecar.js';
import { http, startApp, waitFor } from './support.js';

/** `name{labels} value` lines of a Prometheus text body, as a lookup by name and label subset. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const open = line.indexOf('{');
    const close = line.lastIndexOf('}');
    const labelText = open >= 0 && open < line.indexOf(' ') ? line.slice(open + 1, close) : '';
    const found = Object.fromEntries(
      [...labelText.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!] as const),
    );
    if (!Object.entries(labels).every(([k, v]) => found[k] === v)) continue;
    total = (total ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

let sidecar: Sidecar;
let app: Awaited<ReturnType<typeof startApp>>;
let client: DaprClient;
const lines: string[] = [];
const appId = `metrics-${process.pid}`;

beforeAll(async () => {
  app = await startApp({
    'GET /dapr/subscribe': (_r, res) =>
      void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify([{ pubsubname: 'pubsub', topic: 'metered', route: '/metered' }])),
    'POST /metered': (_r, res) => void res.writeHead(200).end(),
  });
  const dir = await mkdtemp(join(tmpdir(), 'daprkit-metrics-'));
  const config = join(dir, 'config.yaml');
  await writeFile(
    config,
    [
      'apiVersion: dapr.io/v1alpha1',
      'kind: Configuration',
      'metadata: {name: observability}',
      'spec:',
      '  metric:',
      '    enabled: true',
      '    latencyDistributionBuckets: [5, 50, 500]',
      '    http:',
      '      pathMatching: ["/v1.0/publish/{pubsub}/{topic}"]',
      '  logging:',
      '    apiLogging: {enabled: true, omitHealthChecks: true}',
    ].join('\n'),
  );
  sidecar = await createSidecar({
    appId,
    appPort: app.port,
    httpPort: 0,
    grpcPort: 0,
    configPaths: [config],
    metrics: { enabled: true, port: 0, host: '127.0.0.1' },
    logger: createLogger({ name: 'dapr.runtime', json: true, appId, version: 'test', write: (l) => lines.push(l) }),
  });
  await sidecar.ready;
  client = new DaprClient({
    daprHost: '127.0.0.1',
    daprPort: String(sidecar.grpcPort),
    communicationProtocol: CommunicationProtocolEnum.GRPC,
    logger: { level: LogLevel.Error },
  });
});

afterAll(async () => {
  await client?.stop();
  await sidecar?.close();
  await app?.close();
});

describe('metrics after a known load', () => {
  it('counts HTTP, gRPC, state, pub/sub and component init with daprd names and labels', async () => {
    for (let i = 0; i < 5; i++)
      expect(
        (await http(sidecar.httpPort, 'POST', '/v1.0/state/statestore', JSON.stringify([{ key: `k${i}`, value: i }])))
          .status,
      ).toBe(204);
    for (let i = 0; i < 3; i++)
      expect((await http(sidecar.httpPort, 'GET', `/v1.0/state/statestore/k${i}`)).status).toBe(200);
    for (let i = 0; i < 4; i++)
      expect((await http(sidecar.httpPort, 'POST', '/v1.0/publish/pubsub/metered', '{"n":1}')).status).toBe(204);
    await client.state.get('statestore', 'k1');
    await client.state.get('statestore', 'k2');
    expect((await http(sidecar.httpPort, 'GET', '/v1.0/healthz')).status).toBe(204);
    await waitFor(() => app.requests.filter((r) => r.url === '/metered').length === 4);

    const text = (await http(sidecar.metricsPort!, 'GET', '/')).text;
    const base = { app_id: appId };
    expect(
      sample(text, 'dapr_http_server_request_count', {
        ...base,
        method: 'POST',
        path: '/v1.0/state/statestore',
        status: '204',
      }),
    ).toBe(5);
    expect(
      sample(text, 'dapr_http_server_request_count', {
        ...base,
        method: 'GET',
        path: '/v1.0/state/statestore',
        status: '200',
      }),
    ).toBe(3);
    expect(
      sample(text, 'dapr_http_server_request_count', { path: '/v1.0/publish/{pubsub}/{topic}', status: '204' }),
    ).toBe(4);
    expect(sample(text, 'dapr_http_server_latency_count', { method: 'POST', path: '/v1.0/state/statestore' })).toBe(5);
    // The Configuration's buckets replaced daprd's defaults.
    expect(text).toMatch(/dapr_http_server_latency_bucket\{[^}]*le="50"/);
    expect(text).not.toMatch(/dapr_http_server_latency_bucket\{[^}]*le="13"/);
    expect(
      sample(text, 'dapr_grpc_io_server_completed_rpcs', {
        ...base,
        grpc_server_method: '/dapr.proto.runtime.v1.Dapr/GetState',
        grpc_server_status: 'OK',
      }),
    ).toBe(2);
    expect(
      sample(text, 'dapr_grpc_io_server_server_latency_count', {
        grpc_server_method: '/dapr.proto.runtime.v1.Dapr/GetState',
      }),
    ).toBe(2);
    // 5 saves (one `set` per request, as daprd), 3 HTTP gets + 2 gRPC gets.
    const state = { ...base, component: 'statestore', namespace: 'default' };
    expect(sample(text, 'dapr_component_state_count', { ...state, operation: 'set', success: 'true' })).toBe(5);
    expect(sample(text, 'dapr_component_state_count', { ...state, operation: 'get', success: 'true' })).toBe(5);
    expect(sample(text, 'dapr_component_state_latencies_count', { ...state, operation: 'get' })).toBe(5);
    const pubsub = { ...base, component: 'pubsub', topic: 'metered' };
    expect(sample(text, 'dapr_component_pubsub_egress_count', { ...pubsub, success: 'true' })).toBe(4);
    expect(sample(text, 'dapr_component_pubsub_egress_latencies_count', pubsub)).toBe(4);
    await waitFor(async () => {
      const now = (await http(sidecar.metricsPort!, 'GET', '/metrics')).text;
      return (
        sample(now, 'dapr_component_pubsub_ingress_count', {
          ...pubsub,
          process_status: 'success',
          status: 'success',
        }) === 4
      );
    });
    expect(sample(text, 'dapr_runtime_component_loaded', base)).toBe(2);
    expect(sample(text, 'dapr_runtime_component_init_total', { ...base, component: 'state.in-memory' })).toBe(1);
    expect(sample(text, 'dapr_runtime_component_init_total', { ...base, component: 'pubsub.in-memory' })).toBe(1);
    expect(text).toContain('# TYPE dapr_runtime_component_init_fail_total counter');
  });
});

describe('logs', () => {
  it('writes daprd-shaped JSON lines with the lines operators grep for', () => {
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.length).toBeGreaterThan(3);
    for (const record of records) {
      for (const key of ['time', 'level', 'msg', 'scope', 'type', 'instance', 'ver', 'app_id'])
        expect(record, JSON.stringify(record)).toHaveProperty(key);
      expect(record.type).toBe('log');
      expect(record.app_id).toBe(appId);
      expect(Number.isNaN(Date.parse(String(record.time)))).toBe(false);
    }
    const find = (scope: string, msg: RegExp) => records.find((r) => r.scope === scope && msg.test(String(r.msg)));
    expect(find('dapr.runtime.http', /^HTTP server listening on TCP address: 127\.0\.0\.1:\d+$/)).toBeDefined();
    expect(find('dapr.runtime.grpc.api', /^gRPC server listening on TCP address: /)).toBeDefined();
    expect(find('dapr.runtime', /^Component loaded: statestore \(state\.in-memory\/v1\)$/)).toBeDefined();
    expect(find('dapr.runtime', /^dapr initialized\. Status: Running\. Init Elapsed \d+ms$/)).toBeDefined();
    expect(find('dapr.metrics', /^metrics server started on 127\.0\.0\.1:\d+\/$/)).toBeDefined();
  });

  it('logs one line per API call (HTTP and gRPC), health checks omitted as configured', () => {
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const httpCalls = records.filter((r) => r.scope === 'dapr.runtime.http-info' && r.msg === 'HTTP API Called');
    const saves = httpCalls.filter((r) => r.method === 'POST /v1.0/state/statestore');
    expect(saves).toHaveLength(5);
    expect(saves[0]).toMatchObject({ level: 'info', code: 204, size: 0 });
    expect(typeof saves[0]!.duration).toBe('number');
    const gets = httpCalls.filter((r) => r.method === 'GET /v1.0/state/statestore/k0');
    expect(gets[0]).toMatchObject({ code: 200 });
    expect(gets[0]!.size).toBeGreaterThan(0);
    expect(httpCalls.some((r) => String(r.method).includes('healthz'))).toBe(false);
    const grpcCalls = records.filter((r) => r.scope === 'dapr.runtime.grpc.api-info' && r.msg === 'gRPC API Called');
    expect(grpcCalls.filter((r) => r.method === '/dapr.proto.runtime.v1.Dapr/GetState')).toHaveLength(2);
    expect(grpcCalls[0]).toMatchObject({ code: 0 });
    expect(typeof grpcCalls[0]!.useragent).toBe('string');
  });
});

describe('metrics off', () => {
  it('serves no endpoint unless asked, and spec.metric.enabled: false wins over the option', async () => {
    const plain = await createSidecar({
      appId: `${appId}-off`,
      httpPort: 0,
      grpcPort: false,
      logger: createLogger({ write: () => {} }),
    });
    expect(plain.metricsPort).toBeUndefined();
    expect(plain.runtime.metrics).toBeUndefined();
    await plain.close();
    const dir = await mkdtemp(join(tmpdir(), 'daprkit-metrics-off-'));
    await writeFile(
      join(dir, 'c.yaml'),
      'apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata: {name: c}\nspec:\n  metrics: {enabled: false}\n',
    );
    const disabled = await createSidecar({
      appId: `${appId}-off2`,
      httpPort: 0,
      grpcPort: false,
      configPaths: [join(dir, 'c.yaml')],
      metrics: { enabled: true, port: 0, host: '127.0.0.1' },
      logger: createLogger({ write: () => {} }),
    });
    expect(disabled.metricsPort).toBeUndefined();
    await disabled.close();
  });
});

describe('metrics and logging configuration', () => {
  it('names the field in errors and maps paths as daprd does', async () => {
    const { metricsSettings } = await import('../src/observability/metrics-config.js');
    const { apiLoggingSettings } = await import('../src/observability/api-logging.js');
    const { SidecarMetrics } = await import('../src/observability/metrics.js');
    const on = { enabled: true, port: 0, host: '127.0.0.1' };
    expect(() => metricsSettings(on, { metric: { enabled: 'yes' } })).toThrow(/spec\.metric\.enabled/);
    expect(() => metricsSettings(on, { metrics: { latencyDistributionBuckets: ['x'] } })).toThrow(
      /spec\.metrics\.latencyDistributionBuckets/,
    );
    expect(() => metricsSettings(on, { metric: { http: { pathMatching: 'x' } } })).toThrow(/http\.pathMatching/);
    expect(() => apiLoggingSettings(undefined, { logging: { apiLogging: { enabled: 1 } } })).toThrow(
      /spec\.logging\.apiLogging\.enabled/,
    );
    expect(metricsSettings(on, { metric: { enabled: true }, metrics: { enabled: false } }).enabled).toBe(false);
    expect(apiLoggingSettings(false, { logging: { apiLogging: { enabled: true } } }).enabled).toBe(false);
    expect(apiLoggingSettings(undefined, { logging: { apiLogging: { enabled: true } } }).enabled).toBe(true);

    const legacy = new SidecarMetrics(
      'a',
      'default',
      metricsSettings(on, { metric: { http: { pathMatching: ['/orders/{id}'] } } }),
    );
    expect(legacy.metricsPath('/v1.0/state/store/key')).toBe('/v1.0/state/store');
    expect(legacy.metricsPath('/v1.0/secrets/vault/name')).toBe('/v1.0/secrets/vault');
    expect(legacy.metricsPath('/v1.0/actors/Cart/42/method/add')).toBe('/v1.0/actors/Cart/{id}/method');
    expect(legacy.metricsPath('/orders/7')).toBe('/orders/{id}');
    expect(legacy.metricsPath('/v1.0/invoke/shop/method/orders/7')).toBe('/v1.0/invoke/{app_id}/method/orders/{id}');
    expect(legacy.metricsPath('/v1.0/publish/p/t')).toBe('/v1.0/publish/p/t');
    const low = new SidecarMetrics(
      'a',
      'default',
      metricsSettings(on, { metric: { http: { increasedCardinality: false } } }),
    );
    expect(low.metricsPath('/v1.0/state/store/key')).toBe('');
    expect(low.metricsPath('/healthz')).toBe('/healthz');
  });
});
