/**
 * App health without a broker: an input binding stops reading while the app is unhealthy and reads again after,
 * the gRPC probe (`AppCallbackHealthCheck/HealthCheck`) and the threshold of consecutive failures.
 */
import type { BindingEventHandler, InputBinding } from '@daprkit/component-sdk';
import { createLogger, silentLogger } from '@daprkit/component-sdk';
import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { AppHealth } from '../src/app/app-health.js';
import { createSidecar } from '../src/sidecar.js';
import { startApp, waitFor } from './support.js';

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

describe('app health and input bindings', () => {
  it('stops reading while the app is unhealthy and reads again once it is healthy', async () => {
    let healthy = true;
    const reads: { handler: BindingEventHandler; signal: AbortSignal; afterHealthy: boolean }[] = [];
    const lines: Record<string, unknown>[] = [];
    const binding: InputBinding = {
      init: async () => {},
      read: async (handler, signal) => {
        const afterHealthy = lines.some((l) => l.msg === 'App entered healthy status');
        reads.push({ handler, signal, afterHealthy });
      },
    };
    const events: string[] = [];
    const app = await startApp({
      'GET /healthz': (_r, res) => void res.writeHead(healthy ? 204 : 500).end(),
      'OPTIONS /in': (_r, res) => void res.writeHead(200).end(),
      'POST /in': (r, res) => {
        events.push(r.body);
        res.writeHead(200).end();
      },
    });
    closers.push(app.close);
    const sidecar = await createSidecar({
      appId: `probe-${process.pid}`,
      appPort: app.port,
      httpPort: 0,
      grpcPort: false,
      components: [{ name: 'in', type: 'bindings.custom', instance: binding }],
      appHealthCheck: { enabled: true, path: 'healthz', intervalSeconds: 0.1, timeoutMs: 500, threshold: 3 },
      logger: createLogger({ json: true, write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) }),
    });
    closers.push(() => sidecar.close());
    await sidecar.ready;
    await waitFor(() => reads.length === 1, 10_000, 'the first read after a good probe');
    expect(reads[0]!.afterHealthy).toBe(true); // starts unhealthy: nothing read before the first good probe
    await reads[0]!.handler({ data: Buffer.from('one'), metadata: {} });
    expect(events).toEqual(['one']);

    healthy = false;
    await waitFor(() => reads[0]!.signal.aborted, 10_000, 'reading stopped');
    expect(sidecar.runtime.appHealth.healthy).toBe(false);
    expect(lines.filter((l) => /^App entered un-healthy status: status code 500$/.test(String(l.msg)))).toHaveLength(1);

    healthy = true;
    await waitFor(() => reads.length === 2, 10_000, 'reading again');
    expect(reads[1]!.signal.aborted).toBe(false);
    await reads[1]!.handler({ data: Buffer.from('two'), metadata: {} });
    expect(events).toEqual(['one', 'two']);
    expect(lines.filter((l) => l.msg === 'App entered healthy status')).toHaveLength(2);
  });
});

describe('app health probes', () => {
  it('probes a gRPC app with AppCallbackHealthCheck/HealthCheck and needs `threshold` failures in a row', async () => {
    let answer: 'ok' | 'fail' = 'ok';
    let probes = 0;
    const server = new Server();
    const identity = (b: Buffer) => b;
    server.addService(
      {
        HealthCheck: {
          path: '/dapr.proto.runtime.v1.AppCallbackHealthCheck/HealthCheck',
          requestStream: false,
          responseStream: false,
          requestSerialize: identity,
          requestDeserialize: identity,
          responseSerialize: identity,
          responseDeserialize: identity,
        },
      },
      {
        HealthCheck: (_call: unknown, callback: (e: { code: number; details: string } | null, v?: Buffer) => void) => {
          probes++;
          if (answer === 'ok') callback(null, Buffer.alloc(0));
          else callback({ code: status.UNAVAILABLE, details: 'not yet' });
        },
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    closers.push(() => new Promise((r) => server.tryShutdown(() => r())));
    const health = new AppHealth(
      { enabled: true, path: '/healthz', intervalSeconds: 0.05, timeoutMs: 500, threshold: 3 },
      silentLogger,
    );
    const changes: boolean[] = [];
    health.onChange((h) => changes.push(h));
    closers.push(async () => health.stop());
    expect(health.healthy).toBe(false);
    health.start('grpc', '127.0.0.1', port);
    await waitFor(() => health.healthy, 10_000, 'healthy after a good probe');

    answer = 'fail';
    const before = probes;
    await waitFor(() => !health.healthy, 10_000, 'unhealthy after failures');
    expect(probes - before).toBeGreaterThanOrEqual(3);
    expect(changes).toEqual([true, false]);

    // Two failures then a success: below the threshold, so no change.
    answer = 'ok';
    await waitFor(() => health.healthy, 10_000, 'healthy again');
    health.report('one');
    health.report('two');
    health.report(undefined);
    health.report('three');
    health.report('four');
    expect(health.healthy).toBe(true);
    health.report('five');
    expect(health.healthy).toBe(false);
  });
});
