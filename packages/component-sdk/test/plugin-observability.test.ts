// The plugin side of observability: the optional metrics endpoint (calls, errors, latency per method and instance)
// and daprd-shaped JSON log lines, through serve() and the plugin CLI flags.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, defineComponent, scopedLogger } from '@daprkit/component-sdk';
import { remoteStateStore } from '@daprkit/component-sdk/client';
import { type Served, serve } from '@daprkit/component-sdk/server';
import { afterEach, describe, expect, it } from 'vitest';
import { pluginMetricsFromEnv } from '../src/server/metrics.js';

const definition = defineComponent({
  kind: 'state',
  socketName: 'observed',
  types: [],
  packageName: 't',
  version: '1.2.3',
  create: () => {
    const data = new Map<string, Uint8Array>();
    return {
      async init() {},
      features: () => [],
      async get({ key }: { key: string }) {
        return { data: data.get(key), metadata: {} };
      },
      async set({ key, value }: { key: string; value: Uint8Array }) {
        data.set(key, value);
      },
      async delete() {
        throw new Error('delete is broken on purpose');
      },
    };
  },
});

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('plugin metrics endpoint', () => {
  it('is off unless asked', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'dk-pm-off-'));
    served = await serve({ components: [definition], socketFolder: folder, logger: createLogger({ write: () => {} }) });
    expect(served.metricsPort).toBeUndefined();
    expect(pluginMetricsFromEnv({})).toBeUndefined();
    expect(pluginMetricsFromEnv({ DAPRKIT_METRICS_PORT: '9123' })).toEqual({ port: 9123, host: '127.0.0.1' });
    expect(() => pluginMetricsFromEnv({ DAPRKIT_METRICS_PORT: 'x' })).toThrow(/DAPRKIT_METRICS_PORT/);
  });

  it('counts calls, errors and latency per method and instance', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'dk-pm-'));
    served = await serve({
      components: [definition],
      socketFolder: folder,
      logger: createLogger({ write: () => {} }),
      metrics: { port: 0 },
    });
    const socketPath = served.sockets[0]!.path;
    const a = remoteStateStore({ socketPath, instanceName: 'a' });
    const b = remoteStateStore({ socketPath, instanceName: 'b' });
    await a.init({});
    await b.init({});
    for (let i = 0; i < 3; i++) await a.set({ key: `k${i}`, value: Buffer.from('v'), metadata: {}, options: {} });
    await b.get({ key: 'k0', metadata: {} });
    await expect(b.delete({ key: 'k0', metadata: {}, options: {} })).rejects.toThrow(/broken on purpose/);

    const text = await (await fetch(`http://127.0.0.1:${served.metricsPort}/metrics`)).text();
    const labels = { socket: 'observed', service: 'StateStore' };
    expect(sample(text, 'daprkit_component_calls_total', { ...labels, method: 'Set', instance: 'a', code: 'OK' })).toBe(
      3,
    );
    expect(
      sample(text, 'daprkit_component_calls_total', { ...labels, method: 'Init', instance: 'b', code: 'OK' }),
    ).toBe(1);
    expect(sample(text, 'daprkit_component_calls_total', { ...labels, method: 'Get', instance: 'b', code: 'OK' })).toBe(
      1,
    );
    expect(sample(text, 'daprkit_component_errors_total', { ...labels, method: 'Delete', instance: 'b' })).toBe(1);
    expect(sample(text, 'daprkit_component_errors_total', { ...labels, method: 'Set', instance: 'a' })).toBeUndefined();
    expect(sample(text, 'daprkit_component_call_latency_ms_count', { ...labels, method: 'Set', instance: 'a' })).toBe(
      3,
    );
    await a.close();
    await b.close();
  });
});

describe('JSON logs', () => {
  it("writes daprd's keys, spells warn as warning and keeps fields that collide with them", () => {
    const lines: string[] = [];
    const logger = createLogger({
      name: 'daprkit',
      json: true,
      appId: 'orders',
      version: '9.9.9',
      write: (l) => lines.push(l),
    });
    logger.info('hello', { socket: 's', msg: 'not the message' });
    logger.warn('careful');
    logger.debug('hidden');
    scopedLogger(logger, 'dapr.contrib').error('scoped', { n: 1n });
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toHaveLength(3);
    for (const record of records) {
      expect(Object.keys(record)).toEqual(
        expect.arrayContaining(['time', 'level', 'msg', 'scope', 'type', 'instance', 'ver', 'app_id']),
      );
      expect(record).toMatchObject({ type: 'log', ver: '9.9.9', app_id: 'orders' });
    }
    expect(records[0]).toMatchObject({
      level: 'info',
      msg: 'hello',
      scope: 'daprkit',
      socket: 's',
      'fields.msg': 'not the message',
    });
    expect(records[1]).toMatchObject({ level: 'warning', msg: 'careful' });
    expect(records[2]).toMatchObject({ level: 'error', scope: 'dapr.contrib', n: '1' });
  });

  it('turns on from DAPRKIT_LOG_AS_JSON', () => {
    const lines: string[] = [];
    const before = process.env.DAPRKIT_LOG_AS_JSON;
    process.env.DAPRKIT_LOG_AS_JSON = 'true';
    try {
      createLogger({ name: 'x', write: (l) => lines.push(l) }).info('env');
    } finally {
      if (before === undefined) delete process.env.DAPRKIT_LOG_AS_JSON;
      else process.env.DAPRKIT_LOG_AS_JSON = before;
    }
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'env', scope: 'x', level: 'info' });
  });
});
