/**
 * Bindings and secrets through pluggable sockets: in-test components served with `startTestServer`, discovered by the
 * sidecar in `--sockets-folder`, driven with @dapr/dapr. Also `secretKeyRef` resolution and secret scopes.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import {
  type BindingEventHandler,
  type ComponentDefinition,
  defineComponent,
  type Metadata,
  NotFoundError,
} from '@daprkit/component-sdk';
import { startTestServer, type TestServer } from '@daprkit/component-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureSidecarBuilt,
  http,
  type SidecarProcess,
  startApp,
  startSidecarProcess,
  stopAllProcesses,
  waitFor,
} from './support.js';

const SECRETS: Record<string, Record<string, string>> = {
  'db-password': { 'db-password': 's3cr3t-value' },
  'api-keys': { primary: 'p-key', secondary: 's-key' },
  forbidden: { forbidden: 'nope' },
};
const initProperties: Metadata[] = [];
const inputHandlers: BindingEventHandler[] = [];

const definitions: ComponentDefinition[] = [
  defineComponent({
    kind: 'secretStore',
    socketName: 'test-secrets',
    types: [],
    packageName: 'test',
    version: '0',
    create: () => ({
      init: async () => {},
      features: () => ['MULTIPLE_KEY_VALUES_PER_SECRET'],
      getSecret: async ({ name }) => {
        const secret = SECRETS[name];
        if (secret === undefined) throw new NotFoundError(`secret ${name} not found`);
        return secret;
      },
      bulkGetSecret: async () => SECRETS,
    }),
  }),
  defineComponent({
    kind: 'outputBinding',
    socketName: 'test-bindings',
    types: [],
    packageName: 'test',
    version: '0',
    create: () => ({
      init: async (properties) => void initProperties.push(properties),
      operations: () => ['create', 'echo'],
      invoke: async (request) => ({
        data: Buffer.from(
          JSON.stringify({
            operation: request.operation,
            received: Buffer.from(request.data).toString(),
            metadata: request.metadata,
          }),
        ),
        metadata: { handled: 'yes' },
      }),
    }),
  }),
  defineComponent({
    kind: 'inputBinding',
    socketName: 'test-bindings',
    types: [],
    packageName: 'test',
    version: '0',
    create: () => ({
      init: async () => {},
      read: async (handler) => void inputHandlers.push(handler),
    }),
  }),
];

let server: TestServer;
let sidecar: SidecarProcess;
let client: DaprClient;
let app: Awaited<ReturnType<typeof startApp>>;

beforeAll(async () => {
  await ensureSidecarBuilt();
  server = await startTestServer(definitions);
  app = await startApp({
    'OPTIONS /incoming': (_r, res) => void res.writeHead(200).end(),
    'POST /incoming': (r, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ echoed: JSON.parse(r.body) }));
    },
  });
  const resources = await mkdtemp(join(tmpdir(), 'dk-sidecar-res-'));
  await writeFile(
    join(resources, 'resources.yaml'),
    `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: vault
spec:
  type: secretstores.test-secrets
  version: v1
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: mybinding
spec:
  type: bindings.test-bindings
  version: v1
  metadata:
    - name: route
      value: /incoming
    - name: password
      secretKeyRef:
        name: db-password
    - name: apiKey
      secretKeyRef:
        name: api-keys
        key: secondary
    - name: retries
      value: 3
auth:
  secretStore: vault
---
apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: config
spec:
  secrets:
    scopes:
      - storeName: vault
        defaultAccess: allow
        deniedSecrets: [forbidden]
`,
  );
  sidecar = await startSidecarProcess([
    '--app-id',
    'bindings-app',
    '--app-port',
    String(app.port),
    '--resources-path',
    resources,
    '--sockets-folder',
    server.folder,
  ]);
  client = new DaprClient({
    daprHost: '127.0.0.1',
    daprPort: String(sidecar.httpPort),
    communicationProtocol: CommunicationProtocolEnum.HTTP,
    logger: { level: LogLevel.Error },
  });
});

afterAll(async () => {
  await client?.stop();
  await stopAllProcesses();
  await app?.close();
  await server?.close();
});

describe('bindings and secrets over pluggable sockets', () => {
  it('logs where each component came from, never its values', () => {
    expect(sidecar.logs()).toMatch(/Component loaded: mybinding .*"from":"socket [^"]*test-bindings/);
    expect(sidecar.logs()).not.toContain('s3cr3t-value');
  });

  it('resolves secretKeyRef through the secret store before init', () => {
    const properties = initProperties.find((p) => p.route === '/incoming');
    expect(properties).toMatchObject({ password: 's3cr3t-value', apiKey: 's-key', retries: '3' });
  });

  it('invokes an output binding with JSON-re-encoded data', async () => {
    const response = (await client.binding.send('mybinding', 'echo', 'hi', { trace: 'abc' })) as Record<
      string,
      unknown
    >;
    // The call's traceparent reaches the binding in its metadata, as daprd passes it (tracing is on by default).
    expect(response).toEqual({
      operation: 'echo',
      received: '"hi"',
      metadata: { trace: 'abc', traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/) },
    });
    const unsupported = await http(sidecar.httpPort, 'POST', '/v1.0/bindings/mybinding', '{"operation":"drop"}');
    expect(unsupported.status).toBe(500);
    expect(unsupported.json.message).toBe(
      'error invoking output binding mybinding: binding mybinding does not support operation drop. supported operations:create echo',
    );
  });

  it('delivers input binding events to the app route and hands back its reply', async () => {
    const handler = await waitFor(() => inputHandlers[0], 10_000, 'input binding read');
    const reply = await handler({ data: Buffer.from('{"hello":"world"}'), metadata: { source: 'test' } });
    expect(JSON.parse(Buffer.from(reply!).toString())).toEqual({ echoed: { hello: 'world' } });
    const delivered = app.requests.find((r) => r.method === 'POST' && r.url === '/incoming')!;
    expect(delivered.headers.source).toBe('test');
  });

  it('reads secrets and applies the secret scopes', async () => {
    expect(await client.secret.get('vault', 'api-keys')).toEqual({ primary: 'p-key', secondary: 's-key' });
    const bulk = (await client.secret.getBulk('vault')) as Record<string, unknown>;
    expect(Object.keys(bulk).sort()).toEqual(['api-keys', 'db-password']);
    const denied = await http(sidecar.httpPort, 'GET', '/v1.0/secrets/vault/forbidden');
    expect(denied.status).toBe(403);
    expect(denied.json).toEqual({
      errorCode: 'ERR_PERMISSION_DENIED',
      message: 'access denied by policy to get "forbidden" from "vault"',
    });
    const unknown = await http(sidecar.httpPort, 'GET', '/v1.0/secrets/nostore/x');
    expect(unknown.status).toBe(401);
    expect(unknown.json.errorCode).toBe('ERR_SECRET_STORE_NOT_FOUND');
    const missing = await http(sidecar.httpPort, 'GET', '/v1.0/secrets/vault/none');
    expect(missing.status).toBe(500);
    expect(missing.json.errorCode).toBe('ERR_SECRET_GET');
  });

  it('lists binding and secret store capabilities in metadata', async () => {
    const metadata = await client.metadata.get();
    expect(metadata.components.find((c) => c.name === 'mybinding')?.capabilities).toEqual(
      expect.arrayContaining(['INPUT_BINDING', 'OUTPUT_BINDING']),
    );
    expect(metadata.components.find((c) => c.name === 'vault')?.capabilities).toEqual([
      'MULTIPLE_KEY_VALUES_PER_SECRET',
    ]);
  });

  it('refuses to start when a secretKeyRef cannot be resolved, naming component, field and store', async () => {
    const resources = await mkdtemp(join(tmpdir(), 'dk-sidecar-res-'));
    await writeFile(
      join(resources, 'bad.yaml'),
      `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: vault
spec:
  type: secretstores.test-secrets
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: broken
spec:
  type: bindings.test-bindings
  metadata:
    - name: password
      secretKeyRef:
        name: db-password
        key: no-such-key
auth:
  secretStore: vault
`,
    );
    await expect(
      startSidecarProcess(['--resources-path', resources, '--sockets-folder', server.folder]),
    ).rejects.toThrow(
      /component 'broken' metadata 'password': secret 'db-password' in store 'vault' has no key 'no-such-key'/,
    );
  });
});
