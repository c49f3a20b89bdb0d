/**
 * Resiliency end to end in a real sidecar: components that fail N times (in-process definitions, declared in YAML
 * next to the Resiliency document) and a real HTTP app that fails N deliveries. Outbound policies on state (HTTP and
 * gRPC), secrets, output bindings and publish; a timeout; a circuit breaker opening and closing; inbound retries
 * re-delivering a pub/sub message and an input-binding event, then the normal failure handling.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import {
  type BindingEventHandler,
  type ComponentDefinition,
  defineComponent,
  type Logger,
  type MessageHandler,
} from '@daprkit/component-sdk';
import { createSidecar, type Sidecar } from '@daprkit/sidecar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, startApp, waitFor } from './support.js';

/** Per component instance: how many of the next calls fail, how long each call takes, how many calls arrived. */
interface Fault {
  failNext: number;
  delayMs: number;
  calls: number;
}
const faults = new Map<string, Fault>();
const fault = (name: string): Fault => {
  const f = faults.get(name) ?? { failNext: 0, delayMs: 0, calls: 0 };
  faults.set(name, f);
  return f;
};
async function misbehave(name: string): Promise<void> {
  const f = fault(name);
  f.calls++;
  if (f.delayMs > 0) await new Promise((r) => setTimeout(r, f.delayMs));
  if (f.failNext > 0) {
    f.failNext--;
    throw new Error(`${name} is failing`);
  }
}

const subscribers = new Map<string, MessageHandler>();
const nacks: string[] = [];
const inputHandlers: BindingEventHandler[] = [];

const meta = { packageName: 'resiliency-test', version: '0' };
const definitions: ComponentDefinition[] = [
  defineComponent({
    kind: 'state',
    socketName: 'flaky',
    types: ['state.flaky'],
    ...meta,
    create: ({ instanceName }) => {
      const data = new Map<string, Uint8Array>();
      return {
        init: async () => {},
        features: () => [],
        get: async ({ key }) => {
          await misbehave(instanceName);
          const value = data.get(key);
          return value === undefined ? {} : { data: value };
        },
        set: async ({ key, value }) => {
          await misbehave(instanceName);
          data.set(key, value);
        },
        delete: async ({ key }) => {
          await misbehave(instanceName);
          data.delete(key);
        },
      };
    },
  }),
  defineComponent({
    kind: 'secretStore',
    socketName: 'flaky',
    types: ['secretstores.flaky'],
    ...meta,
    create: ({ instanceName }) => ({
      init: async () => {},
      features: () => [],
      getSecret: async ({ name }) => {
        await misbehave(instanceName);
        return { [name]: `value-of-${name}` };
      },
      bulkGetSecret: async () => ({}),
    }),
  }),
  defineComponent({
    kind: 'outputBinding',
    socketName: 'flaky',
    types: ['bindings.flaky'],
    ...meta,
    create: ({ instanceName }) => ({
      init: async () => {},
      operations: () => ['create'],
      invoke: async (request) => {
        await misbehave(instanceName);
        return { data: request.data };
      },
    }),
  }),
  defineComponent({
    kind: 'inputBinding',
    socketName: 'flaky',
    types: ['bindings.flaky'],
    ...meta,
    create: () => ({ init: async () => {}, read: async (handler) => void inputHandlers.push(handler) }),
  }),
  // A broker in a few lines: publish can fail; each message goes to the topic's handler, a rejection is recorded
  // as the nack the broker would act on.
  defineComponent({
    kind: 'pubsub',
    socketName: 'flaky',
    types: ['pubsub.flaky'],
    ...meta,
    create: ({ instanceName }) => ({
      init: async () => {},
      features: () => [],
      publish: async (request) => {
        await misbehave(instanceName);
        const handler = subscribers.get(request.topic);
        const message = { data: request.data, topic: request.topic, metadata: request.metadata };
        handler?.(message).catch(() => nacks.push(request.topic));
      },
      subscribe: async ({ topic }, handler) => void subscribers.set(topic, handler),
    }),
  }),
];

const component = (name: string, type: string, metadata = '') => `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: ${type}
  version: v1
${metadata}---
`;

const RESOURCES = `${component('retrystate', 'state.flaky')}${component('slowstate', 'state.flaky')}${component(
  'breakerstate',
  'state.flaky',
)}${component('plainstate', 'state.flaky')}${component('vault', 'secretstores.flaky')}${component(
  'sender',
  'bindings.flaky',
  '  metadata:\n  - name: direction\n    value: output\n',
)}${component('receiver', 'bindings.flaky', '  metadata:\n  - name: direction\n    value: input\n')}${component(
  'broker',
  'pubsub.flaky',
)}apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: test-policies
scopes: [resiliency-app]
spec:
  policies:
    timeouts:
      fast: 100ms
    retries:
      three:
        policy: constant
        duration: 10ms
        maxRetries: 3
      redeliver:
        policy: exponential
        maxInterval: 20ms
        maxRetries: 4
    circuitBreakers:
      cb:
        maxRequests: 1
        timeout: 300ms
        trip: consecutiveFailures >= 2
  targets:
    components:
      retrystate:
        outbound: {retry: three}
      slowstate:
        outbound: {timeout: fast}
      breakerstate:
        outbound: {circuitBreaker: cb}
      vault:
        outbound: {retry: three}
      sender:
        outbound: {retry: three}
      broker:
        outbound: {retry: three}
        inbound: {retry: redeliver}
      receiver:
        inbound: {retry: redeliver}
---
apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: other-app-only
scopes: [someone-else]
spec:
  policies:
    retries:
      DefaultRetryPolicy: {duration: 1ms, maxRetries: 9}
`;

const logLines: string[] = [];
const logger: Logger = {
  debug: () => {},
  info: (m) => void logLines.push(m),
  warn: (m) => void logLines.push(m),
  error: (m) => void logLines.push(m),
};

/** App routes fail the first `failNext[path]` deliveries with 500. */
const failNext: Record<string, number> = {};
const appCalls: Record<string, string[]> = {};
function flakyRoute(path: string) {
  return (request: { body: string }, res: ServerResponse) => {
    appCalls[path] ??= [];
    appCalls[path].push(request.body);
    if ((failNext[path] ?? 0) > 0) {
      failNext[path]!--;
      res.writeHead(500).end('not yet');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  };
}

let app: Awaited<ReturnType<typeof startApp>>;
let sidecar: Sidecar;

beforeAll(async () => {
  app = await startApp({
    'GET /dapr/subscribe': (_r, res) =>
      void res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify([
          { pubsubname: 'broker', topic: 'orders', route: '/orders' },
          { pubsubname: 'broker', topic: 'doomed', route: '/doomed' },
        ]),
      ),
    'POST /orders': flakyRoute('/orders'),
    'POST /doomed': flakyRoute('/doomed'),
    'POST /receiver': flakyRoute('/receiver'),
  });
  const resources = await mkdtemp(join(tmpdir(), 'dk-resiliency-'));
  await writeFile(join(resources, 'resources.yaml'), RESOURCES);
  sidecar = await createSidecar({
    appId: 'resiliency-app',
    appPort: app.port,
    httpPort: 0,
    grpcPort: 0,
    resourcesPaths: [resources],
    definitions,
    logger,
    metrics: { enabled: true, port: 0, host: '127.0.0.1' },
  });
  await sidecar.ready;
});

/** The value of one series in the sidecar's Prometheus text (undefined when absent). */
async function metric(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const text = (await http(sidecar.metricsPort!, 'GET', '/metrics')).text;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const set = line.slice(name.length + 1, line.lastIndexOf('}'));
    if (Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) return Number(line.split(' ').pop());
  }
  return undefined;
}

afterAll(async () => {
  await sidecar?.close();
  await app?.close();
});

const saveBody = (key: string) => JSON.stringify([{ key, value: 'v' }]);

describe('outbound policies', () => {
  it('retries a failing state store the configured number of times (HTTP)', async () => {
    const f = fault('retrystate');
    f.calls = 0;
    f.failNext = 2;
    expect((await http(sidecar.httpPort, 'POST', '/v1.0/state/retrystate', saveBody('a'))).status).toBe(204);
    expect(f.calls).toBe(3);
    f.calls = 0;
    f.failNext = 10;
    const failed = await http(sidecar.httpPort, 'POST', '/v1.0/state/retrystate', saveBody('b'));
    expect(failed.status).toBe(500);
    expect(failed.json).toMatchObject({ errorCode: 'ERR_STATE_SAVE' });
    expect(f.calls).toBe(4);
    f.failNext = 0;
    expect(logLines).toContain('Recovered processing operation component[retrystate] output after 3 attempts');
  });

  it('shares the policy with the gRPC API', async () => {
    const client = new DaprClient({
      daprHost: '127.0.0.1',
      daprPort: String(sidecar.grpcPort),
      communicationProtocol: CommunicationProtocolEnum.GRPC,
      logger: { level: LogLevel.Error },
    });
    try {
      const f = fault('retrystate');
      f.calls = 0;
      f.failNext = 3;
      await client.state.save('retrystate', [{ key: 'g', value: 'grpc' }]);
      expect(f.calls).toBe(4);
      f.calls = 0;
      expect(await client.state.get('retrystate', 'g')).toBe('grpc');
      expect(f.calls).toBe(1);
    } finally {
      await client.stop();
    }
  });

  it('leaves a component without a policy alone: one attempt', async () => {
    const f = fault('plainstate');
    f.calls = 0;
    f.failNext = 1;
    expect((await http(sidecar.httpPort, 'POST', '/v1.0/state/plainstate', saveBody('p'))).status).toBe(500);
    expect(f.calls).toBe(1);
    // The other document is scoped to another app: its DefaultRetryPolicy does not apply here.
    expect(sidecar.runtime.resiliency.spec.documents).toEqual(['test-policies']);
  });

  it('fires the timeout', async () => {
    const f = fault('slowstate');
    f.delayMs = 1000;
    const response = await http(sidecar.httpPort, 'GET', '/v1.0/state/slowstate/k');
    f.delayMs = 0;
    expect(response.status).toBe(500);
    expect(response.json).toMatchObject({ errorCode: 'ERR_STATE_GET' });
    expect(String(response.json.message)).toContain('context deadline exceeded');
  });

  it('opens the circuit breaker on the trip condition and closes it after timeout and a good probe', async () => {
    const f = fault('breakerstate');
    f.calls = 0;
    f.failNext = 100;
    const get = () => http(sidecar.httpPort, 'GET', '/v1.0/state/breakerstate/k');
    expect((await get()).status).toBe(500);
    expect((await get()).status).toBe(500);
    expect(logLines).toContain('Circuit breaker "cb-breakerstate" changed state from closed to open');
    const refused = await get();
    expect(refused.status).toBe(500);
    expect(String(refused.json.message)).toContain('circuit breaker is open');
    expect(f.calls).toBe(2);
    f.failNext = 0;
    // After `timeout` the breaker half-opens; one successful probe (maxRequests 1) closes it.
    const ok = await waitFor(
      async () => {
        const r = await get();
        return r.status === 200 || r.status === 204 ? r : undefined;
      },
      5000,
      'the breaker to let a probe through',
      { intervalMs: 100 },
    );
    expect(ok.status).toBe(204);
    expect(logLines).toContain('Circuit breaker "cb-breakerstate" changed state from open to half-open');
    expect(logLines).toContain('Circuit breaker "cb-breakerstate" changed state from half-open to closed');
    expect(f.calls).toBe(3);
    // daprd's resiliency metrics: each state change an activation, the gauge on the current state.
    const cb = { policy: 'circuitbreaker', flow_direction: 'outbound', target: 'Statestore_breakerstate' };
    for (const status of ['open', 'half-open', 'closed'])
      expect(await metric('dapr_resiliency_activations_total', { ...cb, status })).toBe(1);
    expect(await metric('dapr_resiliency_cb_state', { ...cb, status: 'closed' })).toBe(1);
    expect(await metric('dapr_resiliency_cb_state', { ...cb, status: 'open' })).toBe(0);
    // Every call counts once, with the state it met: the refused call and the probes while open.
    expect(await metric('dapr_resiliency_count', { ...cb, status: 'open', name: 'test-policies' })).toBeGreaterThan(0);
  });

  it("records daprd's resiliency metrics for retries and timeouts", async () => {
    const labels = { app_id: 'resiliency-app', name: 'test-policies', flow_direction: 'outbound' };
    expect(await metric('dapr_resiliency_loaded', { app_id: 'resiliency-app', name: 'test-policies' })).toBe(1);
    // No document is loaded for another app's scope.
    expect(await metric('dapr_resiliency_loaded', { name: 'other-app-only' })).toBeUndefined();
    const retry = { ...labels, policy: 'retry', target: 'Statestore_retrystate', status: '' };
    const executed = (await metric('dapr_resiliency_count', retry)) ?? 0;
    const activated = (await metric('dapr_resiliency_activations_total', retry)) ?? 0;
    const f = fault('retrystate');
    f.failNext = 2;
    expect((await http(sidecar.httpPort, 'GET', '/v1.0/state/retrystate/k')).status).toBe(204);
    expect(await metric('dapr_resiliency_count', retry)).toBe(executed + 1);
    expect(await metric('dapr_resiliency_activations_total', retry)).toBe(activated + 2);
    const timeout = { ...labels, policy: 'timeout', target: 'Statestore_slowstate', status: '' };
    const fired = (await metric('dapr_resiliency_activations_total', timeout)) ?? 0;
    const slow = fault('slowstate');
    slow.delayMs = 1000;
    expect((await http(sidecar.httpPort, 'GET', '/v1.0/state/slowstate/k')).status).toBe(500);
    slow.delayMs = 0;
    expect(await metric('dapr_resiliency_activations_total', timeout)).toBe(fired + 1);
  });

  it('retries secret reads and output bindings', async () => {
    const vault = fault('vault');
    vault.calls = 0;
    vault.failNext = 2;
    const secret = await http(sidecar.httpPort, 'GET', '/v1.0/secrets/vault/db');
    expect(secret.json).toEqual({ db: 'value-of-db' });
    expect(vault.calls).toBe(3);
    const sender = fault('sender');
    sender.calls = 0;
    sender.failNext = 3;
    const invoked = await http(
      sidecar.httpPort,
      'POST',
      '/v1.0/bindings/sender',
      JSON.stringify({ operation: 'create', data: { n: 1 } }),
    );
    expect(invoked.status).toBe(200);
    expect(invoked.json).toEqual({ n: 1 });
    expect(sender.calls).toBe(4);
  });
});

describe('inbound policies', () => {
  it('retries publish, then re-delivers the same message to the app until it succeeds', async () => {
    const broker = fault('broker');
    broker.calls = 0;
    broker.failNext = 1;
    failNext['/orders'] = 2;
    const published = await http(sidecar.httpPort, 'POST', '/v1.0/publish/broker/orders', '{"order":42}', {
      'content-type': 'application/json',
    });
    expect(published.status).toBe(204);
    expect(broker.calls).toBe(2);
    const deliveries = await waitFor(() => (appCalls['/orders']?.length === 3 ? appCalls['/orders'] : undefined));
    const ids = deliveries.map((body) => (JSON.parse(body) as { id: string; data: unknown }).id);
    expect(new Set(ids).size).toBe(1);
    expect(JSON.parse(deliveries[2]!).data).toEqual({ order: 42 });
    await new Promise((r) => setTimeout(r, 200));
    expect(appCalls['/orders']).toHaveLength(3);
    expect(nacks).not.toContain('orders');
  });

  it('after the retries are exhausted, the message is nacked as without a policy', async () => {
    failNext['/doomed'] = 100;
    await http(sidecar.httpPort, 'POST', '/v1.0/publish/broker/doomed', '{"x":1}', {
      'content-type': 'application/json',
    });
    await waitFor(() => nacks.includes('doomed'), 10_000, 'the nack');
    expect(appCalls['/doomed']).toHaveLength(5);
    failNext['/doomed'] = 0;
  });

  it('re-delivers an input-binding event', async () => {
    expect(inputHandlers).toHaveLength(1);
    failNext['/receiver'] = 3;
    await inputHandlers[0]!({ data: Buffer.from('{"tick":1}'), metadata: {} });
    expect(appCalls['/receiver']).toEqual(['{"tick":1}', '{"tick":1}', '{"tick":1}', '{"tick":1}']);
    failNext['/receiver'] = 100;
    await expect(inputHandlers[0]!({ data: Buffer.from('{"tick":2}'), metadata: {} })).rejects.toThrow();
    expect(appCalls['/receiver']).toHaveLength(9);
    failNext['/receiver'] = 0;
  });
});

describe('loading', () => {
  it('wraps nothing without a Resiliency document (the component table holds the original instances)', async () => {
    const store = definitions[0]!.create({ instanceName: 'bare', logger }) as object;
    const bare = await createSidecar({
      appId: 'bare-app',
      httpPort: 0,
      grpcPort: false,
      components: [{ name: 'bare', type: 'state.flaky', instance: store as never }],
      logger,
    });
    try {
      expect(bare.runtime.resiliency.loaded).toBe(false);
      expect(bare.components.state.get('bare')?.store).toBe(store);
    } finally {
      await bare.close();
    }
    // With a document, only components that have a policy get a stand-in.
    const plain = sidecar.components.state.get('plainstate')!.store;
    expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(sidecar.components.state.get('retrystate')!.store)).not.toBe(Object.prototype);
  });

  it('fails start-up with the field named', async () => {
    const resources = await mkdtemp(join(tmpdir(), 'dk-resiliency-bad-'));
    await writeFile(
      join(resources, 'r.yaml'),
      'apiVersion: dapr.io/v1alpha1\nkind: Resiliency\nmetadata: {name: bad}\nspec:\n  policies:\n    circuitBreakers:\n      cb: {trip: "consecutiveFailures >> 2"}\n',
    );
    await expect(
      createSidecar({ appId: 'x', httpPort: 0, grpcPort: false, resourcesPaths: [resources], logger }),
    ).rejects.toThrow(/spec\.policies\.circuitBreakers\.cb\.trip: unexpected '>'/);
  });
});
