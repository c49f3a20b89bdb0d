/**
 * Trace context through service invocation (spec §5.1): a caller's `traceparent` crosses the caller sidecar, the
 * internal API (gRPC metadata `traceparent` + `grpc-trace-bin`, as daprd sends) and the callee sidecar to the app,
 * over HTTP and gRPC InvokeService; with a Zipkin exporter both sidecars record daprd's `CallLocal/<app>/<method>`
 * spans (Client on the caller, Server on the callee) in one trace at a real Zipkin server.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@daprkit/component-sdk';
import { credentials, Metadata, makeClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSidecar } from '../src/index.js';
import { parseTraceparent } from '../src/observability/trace-context.js';
import { daprService } from '../src/shared/runtime-proto.js';
import {
  describeWithBackend,
  http,
  startApp,
  staticResolutionConfig,
  waitFor,
  ZIPKIN_URL,
  type ZipkinSpan,
} from './support.js';

function newTraceparent(): { traceId: string; spanId: string; header: string } {
  const traceId = randomUUID().replaceAll('-', '');
  const spanId = randomUUID().replaceAll('-', '').slice(0, 16);
  return { traceId, spanId, header: `00-${traceId}-${spanId}-01` };
}

/** A caller and a callee sidecar (static resolution) in front of one HTTP app, with `tracing` in both. */
async function startPair(tracing: Record<string, unknown>) {
  const run = randomUUID().slice(0, 8);
  const ids = { caller: `trace-caller-${run}`, callee: `trace-callee-${run}` };
  const app = await startApp({
    'POST /orders': (_r, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'),
  });
  const dir = await mkdtemp(join(tmpdir(), 'dk-trace-invoke-'));
  const common = { httpPort: 0, grpcPort: 0, logger: silentLogger, components: [] };
  const callee = await createSidecar({
    ...common,
    appId: ids.callee,
    appPort: app.port,
    configPaths: [await staticResolutionConfig(dir, 'callee.yaml', {}, { tracing })],
  });
  const caller = await createSidecar({
    ...common,
    appId: ids.caller,
    configPaths: [
      await staticResolutionConfig(
        dir,
        'caller.yaml',
        { [ids.callee]: `127.0.0.1:${callee.internalGrpcPort}` },
        { tracing },
      ),
    ],
  });
  await Promise.all([caller.ready, callee.ready]);
  return {
    ids,
    app,
    caller,
    callee,
    close: async () => {
      await Promise.allSettled([caller.close(), callee.close()]);
      await app.close();
    },
  };
}

function invokeOverGrpc(port: number, id: string, traceparent: string): Promise<void> {
  const Dapr = makeClientConstructor(daprService().service as never, 'Dapr');
  const client = new Dapr(`127.0.0.1:${port}`, credentials.createInsecure());
  const rpc = client as unknown as Record<
    string,
    (r: unknown, m: Metadata, cb: (e: ServiceError | null, v: unknown) => void) => void
  >;
  const metadata = new Metadata();
  metadata.set('traceparent', traceparent);
  return new Promise<void>((resolve, reject) =>
    rpc.InvokeService!(
      {
        id,
        message: {
          method: 'orders',
          data: { type_url: '', value: Buffer.from('o') },
          content_type: 'text/plain',
          http_extension: { verb: 3, querystring: '' },
        },
      },
      metadata,
      (error) => {
        client.close();
        if (error) reject(error);
        else resolve();
      },
    ),
  );
}

describe('trace context through service invocation (propagation only)', () => {
  let pair: Awaited<ReturnType<typeof startPair>>;
  beforeAll(async () => {
    pair = await startPair({ samplingRate: '1' });
  });
  afterAll(() => pair?.close());

  const appSaw = (traceId: string) =>
    waitFor(
      () => pair.app.requests.find((r) => String(r.headers.traceparent ?? '').includes(traceId)),
      5000,
      `an app request in trace ${traceId}`,
    );

  it('gives the app the caller trace under a new span (HTTP), and answers with the caller span', async () => {
    const { traceId, spanId, header } = newTraceparent();
    const response = await http(pair.caller.httpPort, 'POST', `/v1.0/invoke/${pair.ids.callee}/method/orders`, 'o', {
      traceparent: header,
      'content-type': 'text/plain',
    });
    expect(response.status).toBe(200);
    const answered = parseTraceparent(response.headers.get('traceparent'));
    expect(answered?.traceId).toBe(traceId);
    const seen = parseTraceparent((await appSaw(traceId)).headers.traceparent);
    expect(seen).toMatchObject({ traceId, flags: 1 });
    expect(seen?.spanId).not.toBe(spanId);
    expect(seen?.spanId).not.toBe(answered?.spanId); // the callee sidecar's own span
  });

  it('does the same for gRPC InvokeService', async () => {
    const { traceId, spanId, header } = newTraceparent();
    await invokeOverGrpc(pair.caller.grpcPort!, pair.ids.callee, header);
    const seen = parseTraceparent((await appSaw(traceId)).headers.traceparent);
    expect(seen).toMatchObject({ traceId, flags: 1 });
    expect(seen?.spanId).not.toBe(spanId);
  });
});

const zipkinUnreachable = await fetch(`${ZIPKIN_URL}/health`).then(
  (r) => (r.ok ? undefined : `Zipkin at ${ZIPKIN_URL} answered ${r.status}`),
  (error: Error) => `Zipkin unreachable at ${ZIPKIN_URL}: ${error.message}`,
);

describeWithBackend(
  'invocation spans at a real Zipkin server',
  zipkinUnreachable,
  'run bash scripts/services.sh up zipkin',
  () => {
    let pair: Awaited<ReturnType<typeof startPair>>;
    beforeAll(async () => {
      pair = await startPair({ samplingRate: '1', zipkin: { endpointAddress: `${ZIPKIN_URL}/api/v2/spans` } });
    });
    afterAll(() => pair?.close());

    it('records CallLocal/<callee>/<method> as Client on the caller and Server on the callee, in one trace', async () => {
      const { traceId, spanId, header } = newTraceparent();
      const response = await http(pair.caller.httpPort, 'POST', `/v1.0/invoke/${pair.ids.callee}/method/orders`, 'o', {
        traceparent: header,
      });
      expect(response.status).toBe(200);
      const name = `CallLocal/${pair.ids.callee}/orders`.toLowerCase(); // Zipkin stores names in lower case
      const spans = await waitFor(
        async () => {
          await Promise.all([pair.caller.runtime.tracer?.flush(), pair.callee.runtime.tracer?.flush()]);
          const found = await fetch(`${ZIPKIN_URL}/api/v2/trace/${traceId}`);
          if (!found.ok) return undefined;
          const all = (await found.json()) as ZipkinSpan[];
          return all.filter((s) => s.name === name).length >= 2 ? all : undefined;
        },
        20_000,
        `two ${name} spans in Zipkin`,
      );
      const client = spans.find((s) => s.name === name && s.kind === 'CLIENT')!;
      const server = spans.find((s) => s.name === name && s.kind === 'SERVER')!;
      expect(client.parentId).toBe(spanId);
      expect(client.localEndpoint?.serviceName).toBe(pair.ids.caller);
      expect(client.tags).toMatchObject({ 'rpc.service': 'ServiceInvocation', 'net.peer.name': pair.ids.callee });
      expect(server.parentId).toBe(client.id);
      expect(server.localEndpoint?.serviceName).toBe(pair.ids.callee);
      expect(server.tags).toMatchObject({
        'rpc.service': 'ServiceInvocation',
        'dapr.invoke_method': 'orders',
        'dapr.protocol': 'grpc',
        'dapr.api': '/dapr.proto.internals.v1.ServiceInvocation/CallLocalStream',
      });
      const seen = pair.app.requests.find((r) => String(r.headers.traceparent ?? '').includes(traceId));
      expect(parseTraceparent(seen?.headers.traceparent)?.spanId).toBe(server.id);
    });
  },
);
