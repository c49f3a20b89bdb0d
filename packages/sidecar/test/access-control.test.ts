/**
 * Configuration `spec.accessControl` on the callee side (daprd pkg/acl): the operation trie's wildcards, daprd's
 * decision order, and end to end between in-process sidecars (static name resolution) — HTTP and gRPC invocation,
 * raw internal calls (method normalised before the check), gRPC proxying to a gRPC app, self-invocation exempt.
 * Without `--access-control-trust-caller-id` only `defaultAction` applies (daprd without mTLS).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@daprkit/component-sdk';
import { credentials, Metadata, makeClientConstructor, type ServiceError, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSidecar, type Sidecar } from '../src/index.js';
import {
  type AccessControlList,
  deniedMessage,
  isAllowed,
  OperationTrie,
  parseAccessControl,
} from '../src/invoke/access-control.js';
import { InternalClient } from '../src/invoke/internal-client.js';
import type { InvokeCall } from '../src/shared/invocation.js';
import { daprService } from '../src/shared/runtime-proto.js';
import { startEchoApp, unary } from './grpc-echo-app.js';
import { http, startApp, staticResolutionConfig } from './support.js';

const rule = (action: string) => ({ verbs: new Map([['*', action]]), action });

describe('the operation trie (acl_trie.go)', () => {
  const trie = new OperationTrie();
  trie.put('/orders', rule('exact'));
  trie.put('/api/*', rule('one'));
  trie.put('/deep/**', rule('any'));
  trie.put('/ord*/new', rule('glob'));
  trie.put('/orders', rule('second')); // the first rule for an operation wins

  it.each([
    ['/orders', 'exact'],
    ['/api/x', 'one'],
    ['/api/x/y', undefined], // `/*` is one segment only
    ['/deep/a/b/c', 'any'],
    ['/orderly/new', 'glob'],
    ['/ordersnew', undefined],
    ['/other', undefined],
  ])('%s → %s', (operation, expected) => {
    expect(trie.search(operation)?.action).toBe(expected);
  });
});

describe('the decision (isOperationAllowedByAccessControlPolicy)', () => {
  const acl = parseAccessControl(
    {
      accessControl: {
        defaultAction: 'deny',
        policies: [
          {
            appId: 'app1',
            namespace: 'ns1',
            trustDomain: 'public',
            defaultAction: 'allow',
            operations: [
              { name: '/Admin/**', httpVerb: ['*'], action: 'deny' },
              { name: 'orders', httpVerb: ['GET'], action: 'allow' },
              { name: '/writes', httpVerb: ['POST'], action: 'deny' },
            ],
          },
          { appId: 'app2', namespace: 'ns1', trustDomain: 'other', operations: [] },
        ],
      },
    },
    { isHTTP: true, trustCallerId: true },
  ) as AccessControlList;
  const app1 = { appId: 'app1', namespace: 'ns1', trustDomain: 'public' };

  it('applies the global default without an identity, for unknown apps and on a trust domain mismatch', () => {
    expect(isAllowed(acl, undefined, 'orders', 'GET')).toBe(false);
    expect(isAllowed(acl, { ...app1, appId: 'stranger' }, 'orders', 'GET')).toBe(false);
    expect(isAllowed(acl, { ...app1, appId: 'app2' }, 'orders', 'GET')).toBe(false);
  });

  it("matches operations ignoring case for HTTP apps, then the verb, then the app's default", () => {
    expect(isAllowed(acl, app1, 'admin/users/1', 'GET')).toBe(false);
    expect(isAllowed(acl, app1, 'ORDERS', 'GET')).toBe(true);
    expect(isAllowed(acl, app1, 'writes', 'POST')).toBe(false);
    expect(isAllowed(acl, app1, 'writes', 'PUT')).toBe(true); // no verb rule: the app's default (allow)
    expect(isAllowed(acl, app1, 'elsewhere', 'DELETE')).toBe(true);
    expect(isAllowed(acl, app1, 'writes', 'NONE')).toBe(true); // no verb: the app's default
  });

  it('defaults to deny when app policies come without a global default, to allow for an empty spec', () => {
    const policies = [{ appId: 'a', namespace: 'n', trustDomain: 'public' }];
    const opts = { isHTTP: true, trustCallerId: false };
    expect(parseAccessControl({ accessControl: { policies } }, opts)?.defaultAction).toBe('deny');
    expect(parseAccessControl({ accessControl: { trustDomain: 'x' } }, opts)?.defaultAction).toBe('allow');
    expect(parseAccessControl({ accessControl: {} }, opts)).toBeUndefined();
  });

  it('names the field of a bad spec', () => {
    const opts = { isHTTP: true, trustCallerId: false };
    const parse = (accessControl: unknown) => () => parseAccessControl({ accessControl }, opts);
    expect(parse({ defaultAction: 'maybe' })).toThrow(
      'Configuration spec.accessControl.defaultAction: must be "allow" or "deny", got "maybe"',
    );
    expect(parse({ policies: [{ appId: 'a', trustDomain: 'public' }] })).toThrow(
      'Configuration spec.accessControl.policies[0].namespace: is required (app a)',
    );
    expect(parse({ policies: [{ appId: 'a', namespace: 'n', trustDomain: 'p', operations: [{}] }] })).toThrow(
      'Configuration spec.accessControl.policies[0].operations[0].name: is required',
    );
    expect(parse({ policies: 'all' })).toThrow('Configuration spec.accessControl.policies: must be a list');
  });

  it("words a denial as daprd, with the caller's SPIFFE id when there is one", () => {
    expect(deniedMessage(undefined, 'orders', 'GET')).toBe(
      'access control policy has denied access to id:  operation: orders verb: GET',
    );
    expect(deniedMessage(app1, 'orders', 'NONE')).toBe(
      'access control policy has denied access to id: spiffe://public/ns/ns1/app1 operation: orders verb: NONE',
    );
  });
});

describe('access control between sidecars', () => {
  const run = randomUUID().slice(0, 8);
  const caller = `caller-${run}`;
  const stranger = `stranger-${run}`;
  const closed = `closed-${run}`;
  const trusting = `trusting-${run}`;
  const grpcCallee = `grpc-callee-${run}`;
  const sidecars: Sidecar[] = [];
  let app: Awaited<ReturnType<typeof startApp>>;
  let echo: Awaited<ReturnType<typeof startEchoApp>>;
  let callerSidecar: Sidecar;
  let strangerSidecar: Sidecar;
  let closedSidecar: Sidecar;
  let trustingSidecar: Sidecar;
  const policyFor = (operations: unknown[]) => ({
    defaultAction: 'deny',
    policies: [{ appId: caller, namespace: 'default', trustDomain: 'public', defaultAction: 'deny', operations }],
  });

  beforeAll(async () => {
    const ok = (_r: unknown, res: import('node:http').ServerResponse) => {
      res.writeHead(200);
      res.end('ok');
    };
    app = await startApp({ 'GET /api/x': ok, 'POST /api/x': ok, 'GET /admin/a/b': ok, 'GET /open/a/b': ok });
    echo = await startEchoApp('acl');
    const dir = await mkdtemp(join(tmpdir(), 'dk-acl-'));
    const common = { httpPort: 0, grpcPort: 0, logger: silentLogger, components: [] };
    const start = async (options: Parameters<typeof createSidecar>[0]) => {
      const sidecar = await createSidecar(options);
      sidecars.push(sidecar);
      return sidecar;
    };
    closedSidecar = await start({
      ...common,
      appId: closed,
      appPort: app.port,
      // A policy allowing the caller, which cannot apply without an authenticated caller identity.
      configPaths: [
        await staticResolutionConfig(
          dir,
          'closed.yaml',
          {},
          {
            accessControl: {
              defaultAction: 'deny',
              policies: [{ appId: caller, namespace: 'default', trustDomain: 'public', defaultAction: 'allow' }],
            },
          },
        ),
      ],
    });
    trustingSidecar = await start({
      ...common,
      appId: trusting,
      appPort: app.port,
      accessControlTrustCallerId: true,
      metrics: { enabled: true, port: 0, host: '127.0.0.1' },
      configPaths: [
        await staticResolutionConfig(
          dir,
          'trusting.yaml',
          {},
          {
            accessControl: policyFor([
              { name: '/api/*', httpVerb: ['GET'], action: 'allow' },
              { name: '/admin/**', httpVerb: ['*'], action: 'deny' },
              { name: '/open/**', httpVerb: ['*'], action: 'allow' },
            ]),
          },
        ),
      ],
    });
    const grpcCalleeSidecar = await start({
      ...common,
      appId: grpcCallee,
      appPort: echo.port,
      appProtocol: 'grpc',
      accessControlTrustCallerId: true,
      configPaths: [
        await staticResolutionConfig(
          dir,
          'grpc.yaml',
          {},
          {
            accessControl: policyFor([{ name: '/daprkit.test.Echo/Unary', action: 'allow' }]),
          },
        ),
      ],
    });
    const apps = {
      [closed]: `127.0.0.1:${closedSidecar.internalGrpcPort}`,
      [trusting]: `127.0.0.1:${trustingSidecar.internalGrpcPort}`,
      [grpcCallee]: `127.0.0.1:${grpcCalleeSidecar.internalGrpcPort}`,
    };
    callerSidecar = await start({
      ...common,
      appId: caller,
      configPaths: [await staticResolutionConfig(dir, 'caller.yaml', apps)],
    });
    strangerSidecar = await start({
      ...common,
      appId: stranger,
      configPaths: [await staticResolutionConfig(dir, 'stranger.yaml', apps)],
    });
    await Promise.all(sidecars.map((s) => s.ready));
  });

  afterAll(async () => {
    await Promise.allSettled(sidecars.map((s) => s.close()));
    await app?.close();
    echo?.close();
  });

  const invoke = (from: Sidecar, target: string, verb: string, path: string) =>
    http(from.httpPort, verb, `/v1.0/invoke/${target}/method/${path}`);
  const seenBy = (callee: string) => app.requests.filter((r) => r.headers['dapr-callee-app-id'] === callee);

  it('applies only the global default without a trusted caller id: 403 ERR_DIRECT_INVOKE, the app never called', async () => {
    const res = await invoke(callerSidecar, closed, 'GET', 'api/x');
    expect(res.status).toBe(403);
    expect(res.json.errorCode).toBe('ERR_DIRECT_INVOKE');
    expect(res.json.message).toBe(
      `failed to invoke, id: ${closed}, err: access control policy has denied access to id:  operation: api/x verb: GET`,
    );
    expect(seenBy(closed)).toHaveLength(0);
  });

  it('never checks self-invocation (daprd)', async () => {
    const res = await invoke(closedSidecar, closed, 'GET', 'api/x');
    expect(res.status).toBe(200);
  });

  it('matches app policies by operation and verb on a trusted caller id', async () => {
    expect((await invoke(callerSidecar, trusting, 'GET', 'api/x')).status).toBe(200);
    expect((await invoke(callerSidecar, trusting, 'GET', 'open/a/b')).status).toBe(200);
    const post = await invoke(callerSidecar, trusting, 'POST', 'api/x');
    expect(post.status).toBe(403);
    expect(post.json.message).toContain(
      `access control policy has denied access to id: spiffe://public/ns/default/${caller} operation: api/x verb: POST`,
    );
    expect((await invoke(callerSidecar, trusting, 'GET', 'admin/a/b')).status).toBe(403);
    expect(seenBy(trusting).map((r) => `${r.method} ${r.url}`)).toEqual(['GET /api/x', 'GET /open/a/b']);
    // daprd's ACL counters, by the policy that decided and the caller's identity.
    const text = (await http(trustingSidecar.metricsPort!, 'GET', '/metrics')).text;
    const identity = `app_id="${caller}",trust_domain="public",namespace="default"`;
    expect(text).toContain(`dapr_runtime_acl_app_policy_action_allowed_total{${identity}} 2`);
    expect(text).toContain(`dapr_runtime_acl_app_policy_action_blocked_total{${identity}} 2`);
  });

  it('applies the global default to an app without a policy', async () => {
    const res = await invoke(strangerSidecar, trusting, 'GET', 'api/x');
    expect(res.status).toBe(403);
    expect(res.json.message).toContain(`id: spiffe://public/ns/default/${stranger} operation: api/x`);
  });

  it('answers PERMISSION_DENIED to gRPC InvokeService', async () => {
    const Dapr = makeClientConstructor(daprService().service as never, 'Dapr');
    const client = new Dapr(`127.0.0.1:${callerSidecar.grpcPort}`, credentials.createInsecure());
    const rpc = client as unknown as Record<
      string,
      (r: unknown, m: Metadata, cb: (e: ServiceError | null, v: unknown) => void) => void
    >;
    const call = (verb: number) =>
      new Promise<ServiceError | null>((resolve) =>
        rpc.InvokeService!(
          { id: trusting, message: { method: 'api/x', http_extension: { verb, querystring: '' } } },
          new Metadata(),
          (error) => resolve(error),
        ),
      );
    expect(await call(1)).toBeNull(); // GET
    const denied = await call(3); // POST
    client.close();
    expect(denied?.code).toBe(status.PERMISSION_DENIED);
  });

  it('normalises the method of a raw internal call before the check', async () => {
    const client = new InternalClient();
    const address = `127.0.0.1:${trustingSidecar.internalGrpcPort}`;
    const call = (method: string, verb: string): InvokeCall => ({
      method,
      verb,
      query: '',
      metadata: { 'dapr-caller-app-id': [caller], 'dapr-caller-namespace': ['default'] },
      contentType: '',
      body: Buffer.alloc(0),
      typeUrl: '',
    });
    try {
      await expect(client.call(address, call('open/../admin/a/b', 'GET'))).rejects.toMatchObject({
        code: status.PERMISSION_DENIED,
      });
      expect((await client.call(address, call('admin/../api/x', 'GET'))).status).toBe(200);
    } finally {
      client.close();
    }
  });

  it('checks gRPC proxying to the local app on the full method name', async () => {
    const port = callerSidecar.grpcPort!;
    const allowed = await unary(port, 'hi', { 'dapr-app-id': grpcCallee });
    expect(allowed.error).toBeNull();
    expect(allowed.response).toBe('acl:hi');
    const denied = await unary(port, 'hi', { 'dapr-app-id': grpcCallee }, '/daprkit.test.Echo/Other');
    expect(denied.error?.code).toBe(status.PERMISSION_DENIED);
    expect(denied.error?.details).toBe(
      `access control policy has denied access to id: spiffe://public/ns/default/${caller} operation: daprkit.test.Echo/Other verb: NONE`,
    );
  });

  it('refuses to start on a bad spec, naming the field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dk-acl-bad-'));
    await expect(
      createSidecar({
        appId: `bad-${run}`,
        httpPort: 0,
        grpcPort: 0,
        logger: silentLogger,
        components: [],
        configPaths: [
          await staticResolutionConfig(
            dir,
            'bad.yaml',
            {},
            {
              accessControl: { policies: [{ appId: 'x', namespace: 'default' }] },
            },
          ),
        ],
      }),
    ).rejects.toThrow('Configuration spec.accessControl.policies[0].trustDomain: is required (app x)');
  });
});
