/**
 * Spans exported over OTLP (Configuration `spec.tracing.otel`, protocol grpc and http, isSecure false) arrive at a
 * real OpenTelemetry Collector (scripts/services.sh up otelcol: the OTLP receiver and the debug exporter at
 * `verbosity: detailed`), with daprd's span names, kinds, parents and attributes. The collector prints what it
 * received to its log ($DAPRKIT_OTELCOL_LOG), which is parsed back into spans here.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@daprkit/component-sdk';
import { credentials, Metadata, makeClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSidecar, type Sidecar } from '../src/index.js';
import { daprService } from '../src/shared/runtime-proto.js';
import { describeWithBackend, ensureSidecarBuilt, http, startApp, waitFor } from './support.js';

const OTLP_GRPC = process.env.DAPRKIT_OTLP_GRPC ?? '127.0.0.1:14317';
const OTLP_HTTP = process.env.DAPRKIT_OTLP_HTTP ?? '127.0.0.1:14318';
const OTLP_TLS_GRPC = process.env.DAPRKIT_OTLP_TLS_GRPC ?? '127.0.0.1:14319';
const OTLP_TLS_HTTP = process.env.DAPRKIT_OTLP_TLS_HTTP ?? '127.0.0.1:14320';
const SERVICE_DIR = join(process.env.DAPRKIT_SERVICES_DIR ?? '/tmp/daprkit-services', 'otelcol');
const COLLECTOR_LOG = process.env.DAPRKIT_OTELCOL_LOG ?? join(SERVICE_DIR, 'collector.log');
const COLLECTOR_CA = process.env.DAPRKIT_OTELCOL_CA_FILE ?? join(SERVICE_DIR, 'tls', 'ca.pem');
/** The OpenTelemetry exporters' own setting for the CA that verifies the collector (read at the first export). */
const CA_ENV = 'OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE';

function endpoint(protocol: 'grpc' | 'http', secure: boolean): string {
  if (protocol === 'grpc') return secure ? OTLP_TLS_GRPC : OTLP_GRPC;
  return secure ? OTLP_TLS_HTTP : OTLP_HTTP;
}

/** One span as the debug exporter prints it (`Trace ID : …`, `Name : …`, `-> key: Str(value)`). */
interface CollectedSpan {
  traceId: string;
  parentId: string;
  id: string;
  name: string;
  kind: string;
  statusCode: string;
  attributes: Record<string, string>;
  resource: Record<string, string>;
}

const FIELDS: Record<string, 'traceId' | 'parentId' | 'id' | 'name' | 'kind' | 'statusCode'> = {
  'Trace ID': 'traceId',
  'Parent ID': 'parentId',
  ID: 'id',
  Name: 'name',
  Kind: 'kind',
  'Status code': 'statusCode',
};

/**
 * Parses the debug exporter's detailed output. Each export is one log entry: `ResourceSpans #n`, `Resource
 * attributes:` with `-> key: Type(value)` lines, then per span `Span #n`, its `Field : value` lines and an
 * `Attributes:` list; events and links (their own `->` lines) are skipped.
 */
function parseCollectorLog(text: string): CollectedSpan[] {
  const spans: CollectedSpan[] = [];
  let resource: Record<string, string> = {};
  let span: CollectedSpan | undefined;
  let section: 'resource' | 'span' | 'attributes' | 'other' = 'other';
  for (const line of text.split('\n')) {
    if (/\bResourceSpans #\d+$/.test(line)) {
      resource = {};
      span = undefined;
      section = 'other';
    } else if (line === 'Resource attributes:') section = 'resource';
    else if (/^Span #\d+$/.test(line)) {
      span = { traceId: '', parentId: '', id: '', name: '', kind: '', statusCode: '', attributes: {}, resource };
      spans.push(span);
      section = 'span';
    } else if (line === 'Attributes:' && span !== undefined) section = 'attributes';
    else if (/^(Events|Links):$/.test(line) || /^ScopeSpans /.test(line)) section = 'other';
    else {
      const attribute = /^\s+-> ([^:]+): \w+\((.*)\)$/.exec(line);
      if (attribute !== null) {
        if (section === 'resource') resource[attribute[1]!] = attribute[2]!;
        else if (section === 'attributes' && span !== undefined) span.attributes[attribute[1]!] = attribute[2]!;
        continue;
      }
      const field = /^ {4}(\S.*?)\s*: ?(.*)$/.exec(line);
      const key = field && FIELDS[field[1]!];
      if (section === 'span' && span !== undefined && key) span[key] = field![2]!.trim();
    }
  }
  return spans;
}

/** Why the collector is not usable here (undefined = it is): its log and CA readable, the HTTP receiver answering. */
async function collectorUnavailable(): Promise<string | undefined> {
  for (const file of [COLLECTOR_LOG, COLLECTOR_CA]) {
    try {
      await stat(file);
    } catch (error) {
      return `OpenTelemetry Collector file ${file} unreadable (${(error as Error).message})`;
    }
  }
  return fetch(`http://${OTLP_HTTP}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  }).then(
    (r) => (r.ok ? undefined : `OTLP/HTTP receiver at ${OTLP_HTTP} answered ${r.status}`),
    (error: Error) => `OTLP/HTTP receiver unreachable at ${OTLP_HTTP}: ${error.message}`,
  );
}

const unavailable = await collectorUnavailable();

function newTraceparent(): { traceId: string; spanId: string; header: string } {
  const traceId = randomUUID().replaceAll('-', '');
  const spanId = randomUUID().replaceAll('-', '').slice(0, 16);
  return { traceId, spanId, header: `00-${traceId}-${spanId}-01` };
}

async function configFile(tracing: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dk-otlp-'));
  const file = join(dir, 'config.yaml');
  await writeFile(
    file,
    `apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: otlp\nspec: ${JSON.stringify({ tracing })}\n`,
  );
  return file;
}

/** A unary call on the sidecar's gRPC API. */
function grpcCall(port: number, method: string, request: unknown, metadata: Metadata): Promise<unknown> {
  const Dapr = makeClientConstructor(daprService().service as never, 'Dapr');
  const client = new Dapr(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as Record<
    string,
    (req: unknown, md: Metadata, cb: (e: ServiceError | null, r: unknown) => void) => void
  > & { close(): void };
  return new Promise((resolve, reject) => {
    client[method]!(request, metadata, (error, response) => {
      client.close();
      if (error) reject(error);
      else resolve(response);
    });
  });
}

for (const [protocol, secure] of [
  ['grpc', false],
  ['http', false],
  ['grpc', true],
  ['http', true],
] as const) {
  describeWithBackend(
    `spans exported over OTLP/${protocol}${secure ? ` with TLS (isSecure, CA from ${CA_ENV})` : ''} to a real OpenTelemetry Collector`,
    unavailable,
    'run bash scripts/services.sh up otelcol',
    () => {
      let sidecar: Sidecar;
      let app: Awaited<ReturnType<typeof startApp>>;
      /** Where this suite's part of the collector log starts (it is shared and only grows, until a restart). */
      let logStart = 0;
      const appId = `otlp-${protocol}-${randomUUID().slice(0, 8)}`;
      const topic = `otlp-${randomUUID().slice(0, 8)}`;

      beforeAll(async () => {
        await ensureSidecarBuilt();
        logStart = (await stat(COLLECTOR_LOG)).size;
        if (secure) process.env[CA_ENV] = COLLECTOR_CA;
        app = await startApp({ 'POST /orders': (_r, res) => void res.writeHead(200).end() });
        sidecar = await createSidecar({
          appId,
          appPort: app.port,
          httpPort: 0,
          grpcPort: 0,
          logLevel: 'error',
          components: [
            { name: 'statestore', type: 'state.in-memory' },
            { name: 'pubsub', type: 'pubsub.in-memory' },
          ],
          configPaths: [
            await configFile({
              samplingRate: '1',
              otel: { endpointAddress: endpoint(protocol, secure), protocol, isSecure: secure },
            }),
          ],
          subscriptions: [{ pubsubname: 'pubsub', topic, rules: [{ path: '/orders' }], metadata: {} }],
        });
        await sidecar.ready;
      });
      afterAll(async () => {
        await sidecar?.close();
        await app?.close();
        if (secure) delete process.env[CA_ENV];
      });

      async function collected(): Promise<CollectedSpan[]> {
        const log = await readFile(COLLECTOR_LOG);
        // A collector restarted meanwhile begins a fresh log: then read it whole.
        return parseCollectorLog(log.subarray(log.length >= logStart ? logStart : 0).toString('utf8'));
      }

      /** Polls the collector log until every name is among the trace's spans; `flush` forces the batch out. */
      async function trace(traceId: string, names: string[], flush = true): Promise<CollectedSpan[]> {
        return waitFor(
          async () => {
            if (flush) await sidecar.runtime.tracer?.flush();
            const spans = (await collected()).filter((s) => s.traceId === traceId);
            return names.every((n) => spans.some((s) => s.name === n)) ? spans : undefined;
          },
          20_000,
          `spans ${names.join(', ')} of trace ${traceId} in ${COLLECTOR_LOG}`,
        );
      }

      it('exports the state save span with daprd name, kind, parent and attributes', async () => {
        const { traceId, spanId, header } = newTraceparent();
        const path = '/v1.0/state/statestore';
        const response = await http(sidecar.httpPort, 'POST', path, JSON.stringify([{ key: 'k1', value: 'v1' }]), {
          'content-type': 'application/json',
          traceparent: header,
        });
        expect(response.status).toBe(204);
        const spans = await trace(traceId, [path]);
        const span = spans.find((s) => s.name === path)!;
        expect(span.kind).toBe('Client');
        expect(span.parentId).toBe(spanId);
        expect(span.id).toMatch(/^[0-9a-f]{16}$/);
        expect(span.resource['service.name']).toBe(appId);
        expect(span.attributes).toMatchObject({
          'dapr.protocol': 'http',
          'dapr.api': `POST ${path}`,
          'dapr.status_code': '204',
          'db.system': 'state',
          'db.name': 'statestore',
          'db.statement': `POST ${path}`,
        });
      });

      it('exports the publish span and the delivery span under the caller trace', async () => {
        const { traceId, spanId, header } = newTraceparent();
        const path = `/v1.0/publish/pubsub/${topic}`;
        const response = await http(sidecar.httpPort, 'POST', path, '{"n":1}', {
          'content-type': 'application/json',
          traceparent: header,
        });
        expect(response.status).toBe(204);
        await waitFor(() => app.requests.find((r) => r.url === '/orders'), 10_000, 'delivery to the app');
        const spans = await trace(traceId, [path, `pubsub/${topic}`]);
        const publish = spans.find((s) => s.name === path)!;
        expect(publish.kind).toBe('Client');
        expect(publish.parentId).toBe(spanId);
        expect(publish.attributes).toMatchObject({
          'dapr.protocol': 'http',
          'dapr.api': `POST ${path}`,
          'dapr.status_code': '204',
          'messaging.system': 'pubsub',
        });
        const delivery = spans.find((s) => s.name === `pubsub/${topic}`)!;
        expect(delivery.kind).toBe('Client');
        expect(delivery.parentId).toBe(publish.id);
        expect(delivery.attributes).toMatchObject({
          'messaging.system': 'pubsub',
          'messaging.destination.name': topic,
        });
      });

      it('exports gRPC API spans by full method, failures with an error status', async () => {
        const { traceId, header } = newTraceparent();
        const ok = new Metadata();
        ok.set('traceparent', header);
        await grpcCall(sidecar.grpcPort!, 'GetState', { store_name: 'statestore', key: 'k1', metadata: {} }, ok);
        const failing = new Metadata();
        failing.set('traceparent', header);
        await expect(
          grpcCall(sidecar.grpcPort!, 'GetState', { store_name: 'nope', key: 'k', metadata: {} }, failing),
        ).rejects.toThrow();
        const name = '/dapr.proto.runtime.v1.Dapr/GetState';
        const spans = await waitFor(
          async () => {
            const all = await trace(traceId, [name]);
            return all.filter((s) => s.name === name).length === 2 ? all : undefined;
          },
          20_000,
          'both GetState spans',
        );
        for (const span of spans) {
          expect(span.kind).toBe('Client');
          expect(span.attributes).toMatchObject({ 'dapr.protocol': 'grpc', 'dapr.api': name });
        }
        expect(spans.map((s) => s.statusCode).sort()).toEqual(['Error', 'Unset']);
      });

      // Last: closes the sidecar. The span is still in the batch processor (5 s delay) when close() starts, so
      // only the shutdown flush can deliver it.
      it('delivers the spans still batched when the sidecar closes', async () => {
        const { traceId, header } = newTraceparent();
        const path = '/v1.0/state/statestore/k1';
        const response = await http(sidecar.httpPort, 'GET', path, undefined, { traceparent: header });
        expect(response.status).toBe(200);
        await sidecar.close();
        const spans = await trace(traceId, [path], false);
        expect(spans.find((s) => s.name === path)?.attributes).toMatchObject({ 'db.name': 'statestore' });
      });
    },
  );
}

// isSecure must mean a verified TLS connection: without the test CA the collector's certificate is refused, and a
// TLS-only port is not spoken to in plaintext (nor a plaintext one in TLS). Each failure is logged by the sidecar
// (the SDK alone would only tell its silent diag logger) and tracer.flush() rejects with it.
for (const protocol of ['grpc', 'http'] as const) {
  describeWithBackend(
    `OTLP/${protocol} export failures are logged, not swallowed`,
    unavailable,
    'run bash scripts/services.sh up otelcol',
    () => {
      const sidecars: Sidecar[] = [];
      beforeAll(() => ensureSidecarBuilt());
      afterAll(() => Promise.all(sidecars.map((s) => s.close())));

      /** One traced call on a fresh sidecar, then a flush: the flush's error and the sidecar's tracing warnings. */
      async function exportOne(endpointAddress: string, isSecure: boolean) {
        const warnings: Array<{ message: string; fields: Record<string, unknown> | undefined }> = [];
        const ignore = () => {};
        const logger: Logger = {
          debug: ignore,
          info: ignore,
          error: ignore,
          warn: (message, fields) => {
            if (message.startsWith('tracing:')) warnings.push({ message, fields });
          },
        };
        const sidecar = await createSidecar({
          appId: `otlp-fail-${randomUUID().slice(0, 8)}`,
          httpPort: 0,
          grpcPort: 0,
          logger,
          components: [{ name: 'statestore', type: 'state.in-memory' }],
          configPaths: [await configFile({ samplingRate: '1', otel: { endpointAddress, protocol, isSecure } })],
        });
        sidecars.push(sidecar);
        await sidecar.ready;
        const response = await http(sidecar.httpPort, 'GET', '/v1.0/state/statestore/k', undefined, {
          traceparent: newTraceparent().header,
        });
        expect(response.status).toBe(204);
        const error = await sidecar.runtime.tracer!.flush().then(
          () => undefined,
          (e: unknown) => e,
        );
        return { error, warnings };
      }

      it('refuses a collector certificate from an untrusted CA, and says so', async () => {
        expect(process.env[CA_ENV]).toBeUndefined();
        const address = endpoint(protocol, true);
        const { error, warnings } = await exportOne(address, true);
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toMatch(/certificate/i);
        expect(warnings).toHaveLength(1);
        expect(warnings[0]!.message).toBe(
          `tracing: exporting spans to OTLP/${protocol} ${address} (TLS) failed; spans dropped`,
        );
        expect(warnings[0]!.fields).toMatchObject({ error: expect.stringMatching(/certificate/i), spans: 1 });
      });

      it('does not speak TLS to a plaintext receiver, nor plaintext to a TLS one', async () => {
        for (const isSecure of [true, false]) {
          const { error, warnings } = await exportOne(endpoint(protocol, !isSecure), isSecure);
          expect(error).toBeInstanceOf(Error);
          expect(warnings.map((w) => w.message)).toEqual([expect.stringMatching(/ failed; spans dropped$/)]);
        }
      });
    },
  );
}
