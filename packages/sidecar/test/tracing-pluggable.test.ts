/**
 * Trace context on the sidecar's calls to pluggable components (spec §5.1; daprd sends none): a state store served
 * over a socket by component-sdk reads `incomingTraceContext()` and sees the API call's span, over HTTP and gRPC;
 * with tracing off (samplingRate "0") it sees nothing.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defineComponent,
  type IncomingTraceContext,
  incomingTraceContext,
  type StateStore,
  silentLogger,
} from '@daprkit/component-sdk';
import { type Served, serve } from '@daprkit/component-sdk/server';
import { credentials, Metadata, makeClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSidecar, type Sidecar } from '../src/index.js';
import { parseTraceparent } from '../src/observability/trace-context.js';
import { daprService } from '../src/shared/runtime-proto.js';
import { http } from './support.js';

const seen: (IncomingTraceContext | undefined)[] = [];

const definition = defineComponent({
  kind: 'state',
  socketName: 'traced',
  types: ['state.traced'],
  packageName: '@acme/state-traced',
  version: '1.0.0',
  create: (): StateStore => ({
    async init() {},
    features: () => [],
    async get() {
      seen.push(incomingTraceContext());
      return {};
    },
    async set() {
      seen.push(incomingTraceContext());
    },
    async delete() {},
  }),
});

function newTraceparent() {
  const traceId = randomUUID().replaceAll('-', '');
  return { traceId, header: `00-${traceId}-${randomUUID().replaceAll('-', '').slice(0, 16)}-01` };
}

async function sidecarWith(folder: string, samplingRate: string): Promise<Sidecar> {
  const resources = await mkdtemp(join(tmpdir(), 'dk-trace-plug-res-'));
  await writeFile(
    join(resources, 'store.yaml'),
    'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: store\nspec:\n  type: state.traced\n  version: v1\n',
  );
  await writeFile(
    join(resources, 'config.yaml'),
    `apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: t\nspec:\n  tracing:\n    samplingRate: "${samplingRate}"\n`,
  );
  const sidecar = await createSidecar({
    appId: `trace-plug-${samplingRate}`,
    httpPort: 0,
    grpcPort: 0,
    logger: silentLogger,
    resourcesPaths: [resources],
    socketsFolder: folder,
  });
  await sidecar.ready;
  return sidecar;
}

describe('trace context on calls to a pluggable component', () => {
  let served: Served;
  let traced: Sidecar;
  let untraced: Sidecar;

  beforeAll(async () => {
    const folder = await mkdtemp(join(tmpdir(), 'dk-trace-plug-'));
    served = await serve({ components: [definition], socketFolder: folder, logger: silentLogger });
    traced = await sidecarWith(folder, '1');
    untraced = await sidecarWith(folder, '0');
  });
  afterAll(async () => {
    await Promise.allSettled([traced?.close(), untraced?.close()]);
    await served?.close();
  });

  it('sends the HTTP API span as traceparent metadata', async () => {
    const { traceId, header } = newTraceparent();
    seen.length = 0;
    const response = await http(traced.httpPort, 'GET', '/v1.0/state/store/k', undefined, { traceparent: header });
    expect(response.status).toBe(204);
    const answered = parseTraceparent(response.headers.get('traceparent'));
    expect(seen).toHaveLength(1);
    expect(parseTraceparent(seen[0]?.traceparent)).toEqual({ ...answered, tracestate: '' });
    expect(answered?.traceId).toBe(traceId);
  });

  it('sends the gRPC API span as traceparent metadata', async () => {
    const { traceId, header } = newTraceparent();
    seen.length = 0;
    const Dapr = makeClientConstructor(daprService().service as never, 'Dapr');
    const client = new Dapr(`127.0.0.1:${traced.grpcPort}`, credentials.createInsecure());
    const rpc = client as unknown as Record<
      string,
      (r: unknown, m: Metadata, cb: (e: ServiceError | null) => void) => void
    >;
    const metadata = new Metadata();
    metadata.set('traceparent', header);
    await new Promise<void>((resolve, reject) =>
      rpc.SaveState!({ store_name: 'store', states: [{ key: 'k', value: Buffer.from('"v"') }] }, metadata, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
    client.close();
    expect(seen).toHaveLength(1);
    expect(parseTraceparent(seen[0]?.traceparent)?.traceId).toBe(traceId);
  });

  it('sends nothing with tracing off', async () => {
    seen.length = 0;
    const { header } = newTraceparent();
    await http(untraced.httpPort, 'GET', '/v1.0/state/store/k', undefined, { traceparent: header });
    expect(seen).toEqual([undefined]);
  });
});
