// Issue 14 "differences to fix" and issue 21 item 7, over raw HTTP: oversized bodies and heads end the connection
// cleanly, daprd 1.18's CORS, browser-originated writes refused without a token, daprd's state validation codes
// (compared with a real daprd 1.18.1 when scripts/daprd.sh built it) and the metadata document.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@daprkit/component-sdk/testing';
import { credentials, makeClientConstructor, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daprService } from '../src/shared/runtime-proto.js';
import { createSidecar, type Sidecar } from '../src/sidecar.js';
import { DAPR_API_VERSION, VERSION } from '../src/version.js';
import { http, waitFor } from './support.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet } as never;
const sidecars: Sidecar[] = [];
async function start(options: Parameters<typeof createSidecar>[0] = {}): Promise<Sidecar> {
  const sidecar = await createSidecar({ httpPort: 0, grpcPort: false, logger: quiet, ...options });
  sidecars.push(sidecar);
  return sidecar;
}
afterAll(() => Promise.all(sidecars.map((s) => s.close())));

/** Sends raw bytes on a new connection and collects everything until the server closes it (or `untilMs`). */
function raw(port: number, bytes: Buffer | string, untilMs = 10_000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, untilMs);
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    socket.on('error', (error) => {
      clearTimeout(timer);
      // A reset after the answer arrived still shows what was answered; before it, it is the bug under test.
      if (text === '') reject(error);
      else resolve({ text, closed: true });
    });
    socket.on('end', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    socket.write(bytes);
  });
}

describe('oversized requests end the connection cleanly', () => {
  let sidecar: Sidecar;
  beforeAll(async () => {
    sidecar = await start({ appId: 'limits', maxBodySize: 64 * 1024, readBufferSize: 4096 });
  });

  it('answers a body over --max-body-size with 400 ERR_MALFORMED_REQUEST and Connection: close', async () => {
    const body = `[{"key":"k","value":"${'x'.repeat(100 * 1024)}"}]`;
    // Chunked, so the limit is hit while reading rather than from Content-Length.
    const chunk = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    const head = 'POST /v1.0/state/statestore HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n';
    const answer = await raw(sidecar.httpPort, head + chunk);
    expect(answer.text).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer.text).toMatch(/\r\nConnection: close\r\n/i);
    expect(answer.text).toContain('"errorCode":"ERR_MALFORMED_REQUEST"');
    expect(answer.closed).toBe(true);
    // Declared too large: refused before the body is read.
    const declared = await raw(
      sidecar.httpPort,
      `POST /v1.0/state/statestore HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    expect(declared.text).toMatch(/^HTTP\/1\.1 400 [\s\S]*Connection: close[\s\S]*exceeds 65536 bytes/i);
    // `Expect: 100-continue`: refused before the client sends the body (no 100 first).
    const expecting = await raw(
      sidecar.httpPort,
      `POST /v1.0/state/statestore HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    expect(expecting.text).toMatch(/^HTTP\/1\.1 400 [\s\S]*Connection: close/i);
    // The next request, on a new connection, works.
    expect((await http(sidecar.httpPort, 'POST', '/v1.0/state/statestore', '[{"key":"k","value":1}]')).status).toBe(
      204,
    );
  });

  it('answers a head over --read-buffer-size (+ Go slack) with 431 and Connection: close, then serves again', async () => {
    const big = 'b'.repeat(9000);
    const answer = await raw(
      sidecar.httpPort,
      `GET /v1.0/metadata HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${big}\r\n\r\n`,
    );
    expect(answer.text).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(answer.text).toMatch(/\r\nConnection: close\r\n/);
    expect(answer.closed).toBe(true);
    const url = await raw(
      sidecar.httpPort,
      `GET /v1.0/state/statestore/${'u'.repeat(9000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    expect(answer.text.slice(0, 12)).toBe(url.text.slice(0, 12));
    // 7 KiB fits daprd's limit (4 KiB + 4 KiB slack) and ours.
    const fits = await http(sidecar.httpPort, 'GET', '/v1.0/metadata', undefined, { 'X-Big': 'b'.repeat(7000) });
    expect(fits.status).toBe(200);
  });
});

describe('--dapr-listen-addresses and the gRPC body limit', () => {
  it('serves both APIs on every address, on the same ports', async () => {
    const sidecar = await start({
      appId: 'many-addresses',
      grpcPort: 0,
      listenAddress: '127.0.0.1',
      extraListenAddresses: ['127.0.0.2'],
      maxBodySize: 1024,
    });
    for (const host of ['127.0.0.1', '127.0.0.2']) {
      const response = await fetch(`http://${host}:${sidecar.httpPort}/v1.0/healthz/outbound`);
      expect(response.status, host).toBe(204);
    }
    const Dapr = makeClientConstructor(daprService().service as never, 'Dapr');
    for (const host of ['127.0.0.1', '127.0.0.2']) {
      const client = new Dapr(`${host}:${sidecar.grpcPort}`, credentials.createInsecure());
      const save = (bytes: number) =>
        new Promise<{ code?: number }>((resolve) =>
          (
            client as unknown as Record<string, (r: unknown, cb: (e: { code?: number } | null) => void) => void>
          ).SaveState!.call(
            client,
            { store_name: 'statestore', states: [{ key: 'k', value: Buffer.alloc(bytes, 1) }] },
            (error) => resolve(error ?? {}),
          ),
        );
      try {
        expect((await save(10)).code, host).toBeUndefined();
        expect((await save(4096)).code, `${host}: over --max-body-size`).toBe(status.RESOURCE_EXHAUSTED);
      } finally {
        client.close();
      }
    }
  });
});

describe('--dapr-public-port', () => {
  it('serves health and metadata without the token, and nothing else', async () => {
    const sidecar = await start({ appId: 'public', apiToken: 'secret', publicPort: 0 });
    const port = sidecar.publicPort!;
    expect((await http(port, 'GET', '/v1.0/healthz/outbound')).status).toBe(204);
    expect((await http(port, 'GET', '/v1.0/metadata')).json).toMatchObject({ id: 'public' });
    expect((await http(port, 'GET', '/v1.0/state/statestore/k')).status).toBe(404);
    expect((await http(port, 'POST', '/v1.0/shutdown')).status).toBe(404);
    expect((await http(sidecar.httpPort, 'GET', '/v1.0/metadata')).status).toBe(401);
  });
});

describe('CORS (--allowed-origins, daprd 1.18)', () => {
  it('is off by default: no Access-Control headers', async () => {
    const sidecar = await start({ appId: 'cors-off' });
    const response = await fetch(`http://127.0.0.1:${sidecar.httpPort}/v1.0/metadata`, {
      headers: { Origin: 'https://app.example.com' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers preflights 200 with the allowed origin, method and headers, before the token check', async () => {
    const sidecar = await start({
      appId: 'cors-on',
      allowedOrigins: 'https://app.example.com,https://*.example.org',
      apiToken: 'secret',
    });
    const preflight = (origin: string) =>
      fetch(`http://127.0.0.1:${sidecar.httpPort}/v1.0/state/statestore`, {
        method: 'OPTIONS',
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': 'post',
          'Access-Control-Request-Headers': 'content-type,dapr-api-token',
        },
      });
    const allowed = await preflight('https://app.example.com');
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(allowed.headers.get('access-control-allow-methods')).toBe('POST');
    expect(allowed.headers.get('access-control-allow-headers')).toBe('content-type,dapr-api-token');
    expect(allowed.headers.get('vary')).toMatch(
      /Origin.*Access-Control-Request-Method.*Access-Control-Request-Headers/,
    );
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
    expect((await preflight('https://a.example.org')).headers.get('access-control-allow-origin')).toBe(
      'https://a.example.org',
    );
    const refused = await preflight('https://evil.example.net');
    expect(refused.status).toBe(200);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    // An actual request gets the header and still needs the token.
    const actual = await fetch(`http://127.0.0.1:${sidecar.httpPort}/v1.0/metadata`, {
      headers: { Origin: 'https://app.example.com' },
    });
    expect(actual.status).toBe(401);
    expect(actual.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
  });

  it("'*' allows every origin with Access-Control-Allow-Origin: *", async () => {
    const sidecar = await start({ appId: 'cors-all', allowedOrigins: '*' });
    const response = await fetch(`http://127.0.0.1:${sidecar.httpPort}/v1.0/state/statestore`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://anything.test', 'Access-Control-Request-Method': 'DELETE' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('browser-originated writes without an API token (issue 21 item 7)', () => {
  const save = (port: number, headers: Record<string, string>) =>
    http(port, 'POST', '/v1.0/state/statestore', '[{"key":"web","value":"x"}]', {
      'Content-Type': 'text/plain',
      ...headers,
    });

  it('refuses a foreign Origin and a non-loopback Host with 403 and an errorCode', async () => {
    const sidecar = await start({ appId: 'guard' });
    const origin = await save(sidecar.httpPort, { Origin: 'https://evil.example' });
    expect(origin.status).toBe(403);
    expect(origin.json).toMatchObject({ errorCode: 'ERR_BROWSER_REQUEST_REJECTED' });
    expect(String(origin.json.message)).toMatch(/--allowed-origins/);
    const shutdown = await http(sidecar.httpPort, 'POST', '/v1.0/shutdown', undefined, { Origin: 'null' });
    expect(shutdown.status).toBe(403);
    // DNS rebinding: the page's own host name on our loopback port.
    const rebound = await raw(
      sidecar.httpPort,
      'POST /v1.0/state/statestore HTTP/1.1\r\nHost: rebind.attacker.example:3500\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]',
    );
    expect(rebound.text).toMatch(/^HTTP\/1\.1 403 [\s\S]*ERR_BROWSER_REQUEST_REJECTED[\s\S]*DNS rebinding/);
    // Reads from a page, and writes from non-browser clients, are unaffected.
    expect(
      (await http(sidecar.httpPort, 'GET', '/v1.0/metadata', undefined, { Origin: 'https://x.example' })).status,
    ).toBe(200);
    expect((await save(sidecar.httpPort, {})).status).toBe(204);
    expect((await save(sidecar.httpPort, { Host: 'localhost:1234' })).status).toBe(204);
  });

  it('serves them when the origin is allowed, with --allow-browser-requests, or behind an API token', async () => {
    const listed = await start({ appId: 'guard-listed', allowedOrigins: 'https://app.example' });
    expect((await save(listed.httpPort, { Origin: 'https://app.example' })).status).toBe(204);
    expect((await save(listed.httpPort, { Origin: 'https://other.example' })).status).toBe(403);
    const open = await start({ appId: 'guard-off', allowBrowserRequests: true });
    expect((await save(open.httpPort, { Origin: 'https://evil.example' })).status).toBe(204);
    const token = await start({ appId: 'guard-token', apiToken: 't' });
    expect((await save(token.httpPort, { Origin: 'https://evil.example', 'dapr-api-token': 't' })).status).toBe(204);
  });
});

/** The requests whose answers issue 14 says differ; each is compared with daprd 1.18.1 when it is built. */
const VALIDATION_CASES: {
  name: string;
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
}[] = [
  { name: 'GET with a bogus consistency', method: 'GET', path: '/v1.0/state/statestore/a?consistency=bogus' },
  {
    name: 'save with a bogus consistency',
    method: 'POST',
    path: '/v1.0/state/statestore',
    body: '[{"key":"a","value":1,"options":{"consistency":"bogus"}}]',
  },
  {
    name: 'save with a bogus concurrency',
    method: 'POST',
    path: '/v1.0/state/statestore',
    body: '[{"key":"a","value":1,"options":{"concurrency":"bogus"}}]',
  },
  { name: 'delete with a bogus consistency', method: 'DELETE', path: '/v1.0/state/statestore/a?consistency=bogus' },
  { name: 'delete with a bogus concurrency', method: 'DELETE', path: '/v1.0/state/statestore/a?concurrency=bogus' },
  {
    name: 'delete with an invalid If-Match',
    method: 'DELETE',
    path: '/v1.0/state/statestore/a',
    headers: { 'If-Match': 'not-an-etag' },
  },
  {
    name: 'save with an invalid etag',
    method: 'POST',
    path: '/v1.0/state/statestore',
    body: '[{"key":"a","value":1,"etag":"not-an-etag"}]',
  },
];

const EXPECTED: Record<string, [number, string | undefined]> = {
  'GET with a bogus consistency': [200, undefined],
  'save with a bogus consistency': [500, 'ERR_STATE_SAVE'],
  'save with a bogus concurrency': [500, 'ERR_STATE_SAVE'],
  'delete with a bogus consistency': [500, 'ERR_STATE_DELETE'],
  'delete with a bogus concurrency': [500, 'ERR_STATE_DELETE'],
  'delete with an invalid If-Match': [409, 'ERR_STATE_DELETE'],
  'save with an invalid etag': [409, 'ERR_STATE_SAVE'],
};

async function answers(port: number) {
  await http(port, 'POST', '/v1.0/state/statestore', '[{"key":"a","value":1}]');
  const out: Record<string, [number, string | undefined]> = {};
  for (const c of VALIDATION_CASES) {
    const response = await http(port, c.method, c.path, c.body, c.headers);
    out[c.name] = [response.status, response.json?.errorCode as string | undefined];
  }
  return out;
}

describe("daprd 1.18's state validation codes", () => {
  it('answers what daprd 1.18.1 answers', async () => {
    const sidecar = await start({
      appId: 'validation',
      components: [{ name: 'statestore', type: 'state.in-memory' }],
    });
    expect(await answers(sidecar.httpPort)).toEqual(EXPECTED);
  });

  const daprdBinary =
    process.env.DAPRKIT_DAPRD_118 ?? join(process.env.HOME ?? '/root', '.cache/daprkit/bin/daprd-1.18.1');
  const haveDaprd = existsSync(daprdBinary);
  if (!haveDaprd && process.env.CI === 'true')
    throw new Error(`no daprd 1.18.1 at ${daprdBinary}: DAPRKIT_DAPRD_VERSION=1.18.1 bash scripts/daprd.sh`);
  it.skipIf(!haveDaprd)(`matches a real daprd 1.18.1 (${daprdBinary})`, { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'daprd118-'));
    await writeFile(
      join(dir, 'state.yaml'),
      'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: statestore\nspec:\n  type: state.in-memory\n  version: v1\n  metadata: []\n',
    );
    const [httpPort, grpcPort, internal, metrics] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const child: ChildProcess = spawn(
      daprdBinary,
      [
        ...['--app-id', 'validation', '--dapr-http-port', String(httpPort), '--dapr-grpc-port', String(grpcPort)],
        ...['--dapr-internal-grpc-port', String(internal), '--metrics-port', String(metrics)],
        ...['--dapr-listen-addresses', '127.0.0.1', '--resources-path', dir, '--log-level', 'warn'],
      ],
      { stdio: 'ignore' },
    );
    try {
      await waitFor(
        async () =>
          (await http(httpPort, 'GET', '/v1.0/healthz').catch(() => ({ status: 0 }))).status === 204 || undefined,
        30_000,
        'daprd 1.18.1 healthy',
      );
      expect(await answers(httpPort)).toEqual(EXPECTED);
      // The metadata fields we model on daprd's.
      const daprd = (await http(httpPort, 'GET', '/v1.0/metadata')).json;
      const ours = (
        await http(
          (
            await start({ appId: 'validation', components: [{ name: 'statestore', type: 'state.in-memory' }] })
          ).httpPort,
          'GET',
          '/v1.0/metadata',
        )
      ).json;
      expect(ours.runtimeVersion).toBe(daprd.runtimeVersion);
      expect(ours.appConnectionProperties).toEqual(daprd.appConnectionProperties);
      expect(ours.actorRuntime).toEqual(daprd.actorRuntime);
      expect('workflows' in ours).toBe('workflows' in daprd);
      const caps = (doc: Record<string, unknown>) =>
        (doc.components as { capabilities?: string[] }[])[0]?.capabilities ?? [];
      expect(caps(ours).filter((c) => !caps(daprd).includes(c))).toEqual([]);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('/v1.0/metadata', () => {
  it("reports the Dapr API version, daprkit's own under extended, and only capabilities daprd claims", async () => {
    const sidecar = await start({ appId: 'meta' });
    await http(sidecar.httpPort, 'PUT', '/v1.0/metadata/daprRuntimeVersion', 'forged');
    await http(sidecar.httpPort, 'PUT', '/v1.0/metadata/daprkitVersion', 'forged');
    const doc = (await http(sidecar.httpPort, 'GET', '/v1.0/metadata')).json;
    expect(doc.runtimeVersion).toBe(DAPR_API_VERSION);
    expect(doc.extended).toMatchObject({ daprRuntimeVersion: DAPR_API_VERSION, daprkitVersion: VERSION });
    const components = doc.components as { type: string; capabilities?: string[] }[];
    expect(components.find((c) => c.type === 'state.in-memory')?.capabilities).not.toContain('QUERY_API');
    expect(components.find((c) => c.type === 'pubsub.in-memory')?.capabilities).toEqual(['SUBSCRIBE_WILDCARDS']);
    expect(doc.appConnectionProperties).toEqual({ protocol: 'http', channelAddress: '127.0.0.1' });
  });
});
