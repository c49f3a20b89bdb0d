import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { canonicalHeaderName, HttpBinding, HttpStatusError } from '../src/index.js';
import { startTestServers, type TestServers } from './support/servers.js';

let servers: TestServers;
beforeAll(async () => {
  servers = await startTestServers();
});
afterAll(async () => servers?.close());
beforeEach(() => {
  servers.received.length = 0;
});

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => Buffer.from(b ?? new Uint8Array()).toString();

async function binding(properties: Record<string, string>) {
  const b = new HttpBinding();
  await b.init(properties);
  return b;
}

describe('http output binding', () => {
  it('maps every operation to its verb; a body only for POST/PUT/PATCH; create is POST', async () => {
    const b = await binding({ url: `${servers.httpUrl}/base` });
    for (const op of ['create', 'get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace', 'GET', 'Post']) {
      const res = await b.invoke({ operation: op, data: bytes('payload'), metadata: {} });
      const verb = op.toLowerCase() === 'create' ? 'POST' : op.toUpperCase();
      const got = servers.received.at(-1)!;
      expect(got.method).toBe(verb);
      const withBody = ['POST', 'PUT', 'PATCH'].includes(verb);
      expect(got.body).toBe(withBody ? 'payload' : '');
      expect(got.headers['content-type']).toBe(withBody ? 'application/json; charset=utf-8' : undefined);
      expect(got.headers.accept).toBe('application/json; charset=utf-8');
      expect(res.metadata?.statusCode).toBe('200');
      expect(res.metadata?.status).toBe('200 OK');
      if (verb !== 'HEAD') expect(text(res.data)).toBe(`echo:${verb}:${withBody ? 'payload' : ''}`);
    }
    await expect(b.invoke({ operation: 'fetch', data: bytes(''), metadata: {} })).rejects.toThrow(
      'invalid operation: fetch',
    );
    await b.close();
  });

  it('appends path with exactly one slash; capitalised metadata keys become headers, lower-case never do', async () => {
    const b = await binding({ url: `${servers.httpUrl}/base/` });
    await b.invoke({
      operation: 'post',
      data: bytes('{}'),
      metadata: {
        path: '//items/7?x=1',
        'Content-Type': 'text/csv',
        Accept: 'text/plain',
        'X-Custom': 'yes',
        authorization: 'leak?',
        'user-agent': 'grpc-injected',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        baggage: 'k=v',
      },
    });
    const got = servers.received.at(-1)!;
    expect(got.url).toBe('/base/items/7?x=1');
    expect(got.headers['content-type']).toBe('text/csv');
    expect(got.headers.accept).toBe('text/plain');
    expect(got.headers['x-custom']).toBe('yes');
    expect(got.headers.authorization).toBeUndefined();
    expect(got.headers['user-agent']).not.toBe('grpc-injected');
    expect(got.headers.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(got.headers.baggage).toBe('k=v');
    await b.close();
  });

  it('returns response headers under canonical names, repeated values joined', async () => {
    const b = await binding({ url: servers.httpUrl });
    const res = await b.invoke({ operation: 'get', data: bytes(''), metadata: {} });
    expect(res.metadata?.['Content-Type']).toBe('text/plain');
    expect(res.metadata?.['X-Multi']).toBe('a, b');
    expect(canonicalHeaderName('x-forwarded-for')).toBe('X-Forwarded-For');
    await b.close();
  });

  it('errors on non-2xx by default with the response attached; errorIfNot2XX turns it off (component or request)', async () => {
    const strict = await binding({ url: servers.httpUrl });
    const failure = await strict
      .invoke({ operation: 'get', data: bytes(''), metadata: { path: 'status/404' } })
      .catch((e) => e);
    expect(failure).toBeInstanceOf(HttpStatusError);
    expect(failure.message).toBe('received status code 404');
    expect((failure as HttpStatusError).response.metadata?.statusCode).toBe('404');
    const overridden = await strict.invoke({
      operation: 'get',
      data: bytes(''),
      metadata: { path: 'status/503', errorIfNot2XX: 'false' },
    });
    expect(overridden.metadata?.statusCode).toBe('503');
    expect(overridden.metadata?.status).toBe('503 Service Unavailable');
    const lenient = await binding({ url: servers.httpUrl, errorIfNot2XX: 'false' });
    expect(
      (await lenient.invoke({ operation: 'get', data: bytes(''), metadata: { path: 'status/500' } })).metadata
        ?.statusCode,
    ).toBe('500');
    await expect(
      lenient.invoke({ operation: 'get', data: bytes(''), metadata: { path: 'status/500', errorIfNot2XX: 'true' } }),
    ).rejects.toThrow('received status code 500');
    await strict.close();
    await lenient.close();
  });

  it('truncates bodies at maxResponseBodySize; <= 0 means unlimited', async () => {
    const small = await binding({ url: servers.httpUrl, maxResponseBodySize: '1Ki' });
    expect(
      (await small.invoke({ operation: 'get', data: bytes(''), metadata: { path: 'size/5000' } })).data?.byteLength,
    ).toBe(1024);
    expect(
      (await small.invoke({ operation: 'get', data: bytes(''), metadata: { path: 'size/100' } })).data?.byteLength,
    ).toBe(100);
    const unlimited = await binding({ url: servers.httpUrl, maxResponseBodySize: '-1' });
    expect(
      (await unlimited.invoke({ operation: 'get', data: bytes(''), metadata: { path: 'size/200000' } })).data
        ?.byteLength,
    ).toBe(200000);
    await small.close();
    await unlimited.close();
  });

  it('sends securityToken in securityTokenHeader; enforces responseTimeout', async () => {
    const b = await binding({
      url: servers.httpUrl,
      securityToken: 'tok-123',
      securityTokenHeader: 'X-Token',
      responseTimeout: '200ms',
    });
    await b.invoke({ operation: 'get', data: bytes(''), metadata: {} });
    expect(servers.received.at(-1)!.headers['x-token']).toBe('tok-123');
    const started = Date.now();
    const err = await b.invoke({ operation: 'get', data: bytes(''), metadata: { path: 'slow/2000' } }).catch((e) => e);
    expect(err.message).toMatch(/responseTimeout/);
    expect(err.message).not.toContain('tok-123');
    expect(Date.now() - started).toBeLessThan(1500);
    await b.close();
  });

  it('trusts MTLSRootCA (PEM text or file), and refuses an unknown CA', async () => {
    const untrusted = await binding({ url: servers.httpsUrl });
    await expect(untrusted.invoke({ operation: 'get', data: bytes(''), metadata: {} })).rejects.toThrow(/certificate/);
    const viaPem = await binding({ url: servers.httpsUrl, MTLSRootCA: servers.pki.ca });
    expect((await viaPem.invoke({ operation: 'get', data: bytes(''), metadata: {} })).metadata?.statusCode).toBe('200');
    const viaFile = await binding({ url: servers.httpsUrl, MTLSRootCA: servers.pki.caPath });
    expect((await viaFile.invoke({ operation: 'get', data: bytes(''), metadata: {} })).metadata?.statusCode).toBe(
      '200',
    );
    await Promise.all([untrusted.close(), viaPem.close(), viaFile.close()]);
  });

  it('presents the client certificate for mutual TLS', async () => {
    const without = await binding({ url: servers.mtlsUrl, MTLSRootCA: servers.pki.ca });
    await expect(without.invoke({ operation: 'get', data: bytes(''), metadata: {} })).rejects.toThrow();
    const keyFile = join(servers.pki.dir, 'client-key-copy.pem');
    writeFileSync(keyFile, servers.pki.clientKey);
    const withCert = await binding({
      url: servers.mtlsUrl,
      MTLSRootCA: servers.pki.ca,
      MTLSClientCert: servers.pki.clientCert,
      MTLSClientKey: keyFile,
      MTLSRenegotiation: 'RenegotiateOnceAsClient',
    });
    const res = await withCert.invoke({ operation: 'post', data: bytes('hi'), metadata: {} });
    expect(text(res.data)).toBe('echo:POST:hi');
    expect(servers.received.at(-1)!.clientCertSubject).toBe('daprkit-client');
    await Promise.all([without.close(), withCert.close()]);
  });

  it('rejects bad metadata naming the field, never echoing secrets', async () => {
    await expect(binding({})).rejects.toThrow("metadata 'url': is required");
    await expect(binding({ url: 'localhost:22222' })).rejects.toThrow("metadata 'url'");
    await expect(binding({ url: servers.httpUrl, maxResponseBodySize: 'lots' })).rejects.toThrow(
      "metadata 'maxResponseBodySize'",
    );
    await expect(binding({ url: servers.httpUrl, MTLSRenegotiation: 'Sometimes' })).rejects.toThrow(
      "metadata 'MTLSRenegotiation'",
    );
    await expect(binding({ url: servers.httpUrl, MTLSClientKey: 'secret-key-text' })).rejects.toThrow(
      /MTLSClientCert and MTLSClientKey must be given together/,
    );
    const err = await binding({
      url: servers.httpUrl,
      MTLSClientCert: servers.pki.clientCert,
      MTLSClientKey: 'not-a-file-secret',
    }).catch((e) => e);
    expect(err.message).toContain("metadata 'MTLSClientKey'");
    expect(err.message).not.toContain('not-a-file-secret');
  });

  it('reports a refused connection as unavailable, and refuses calls after close', async () => {
    const b = await binding({ url: 'http://127.0.0.1:1' });
    await expect(b.invoke({ operation: 'get', data: bytes(''), metadata: {} })).rejects.toThrow(/ECONNREFUSED/);
    await b.close();
    await expect(b.invoke({ operation: 'get', data: bytes(''), metadata: {} })).rejects.toThrow('closed');
  });
});
