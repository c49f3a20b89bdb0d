/**
 * A mixed fleet, both ways, with daprd's own defaults: an app behind daprkit-sidecar invokes an app behind a real
 * daprd (1.18.1, then 1.16.0) and the other way round, found by mDNS (no name resolution configured on either side) and called
 * over daprd's internal API. HTTP on both sides, plus gRPC InvokeService through daprkit to daprd's app.
 * A missing daprd binary (scripts/daprd.sh builds them) skips that version; with CI=true it is a failure.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@daprkit/component-sdk';
import { freePort } from '@daprkit/component-sdk/testing';
import { credentials, Metadata, makeClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSidecar, type Sidecar } from '../src/index.js';
import { daprService } from '../src/shared/runtime-proto.js';
import { http, startApp, waitFor } from './support.js';

const BIN = join(process.env.DAPRKIT_CACHE_DIR ?? join(process.env.HOME ?? '/root', '.cache/daprkit'), 'bin');

for (const version of ['1.18.1', '1.16.0']) {
  const DAPRD = join(BIN, `daprd-${version}`);
  const how = version === '1.16.0' ? 'bash scripts/daprd.sh' : `DAPRKIT_DAPRD_VERSION=${version} bash scripts/daprd.sh`;
  const missing = existsSync(DAPRD) ? undefined : `no daprd at ${DAPRD} (${how})`;
  if (missing && process.env.CI === 'true') throw new Error(missing);
  const suite = missing ? describe.skip : describe;

  suite(`mixed fleet: daprkit-sidecar ⇄ daprd ${version} by mDNS${missing ? ` (SKIPPED: ${missing})` : ''}`, () => {
    const run = randomUUID().slice(0, 8);
    const kitId = `kit-${run}`;
    const goId = `go-${run}`;
    let kitApp: Awaited<ReturnType<typeof startApp>>;
    let goApp: Awaited<ReturnType<typeof startApp>>;
    let sidecar: Sidecar;
    let daprd: ChildProcess;
    let daprdHttp = 0;
    let logs = '';
    const reply = (name: string) => (r: { body: string }, res: import('node:http').ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-from': name });
      res.end(JSON.stringify({ from: name, got: r.body }));
    };

    beforeAll(async () => {
      kitApp = await startApp({ 'POST /hello?via=daprd': reply('kit-app') });
      goApp = await startApp({ 'POST /hello?via=kit': reply('go-app'), 'POST /grpc-hello': reply('go-app') });
      sidecar = await createSidecar({
        appId: kitId,
        appPort: kitApp.port,
        httpPort: 0,
        grpcPort: 0,
        components: [],
        logger: silentLogger,
      });
      const [h, g, i, m] = [await freePort(), await freePort(), await freePort(), await freePort()];
      daprdHttp = h;
      daprd = spawn(
        DAPRD,
        [
          ...['--app-id', goId, '--app-port', String(goApp.port), '--app-protocol', 'http'],
          ...['--dapr-http-port', String(h), '--dapr-grpc-port', String(g), '--dapr-internal-grpc-port', String(i)],
          ...['--metrics-port', String(m), '--dapr-listen-addresses', '127.0.0.1'],
          ...['--resources-path', await mkdtemp(join(tmpdir(), 'dk-fleet-inv-')), '--log-level', 'info'],
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      daprd.stdout?.on('data', (c: Buffer) => (logs += c.toString()));
      daprd.stderr?.on('data', (c: Buffer) => (logs += c.toString()));
      await waitFor(
        async () =>
          (await fetch(`http://127.0.0.1:${h}/v1.0/healthz`).catch(() => undefined))?.status === 204 || undefined,
        30_000,
        'daprd healthy',
        { intervalMs: 200, detail: () => logs.slice(-3000) },
      );
      await sidecar.ready;
    }, 60_000);

    afterAll(async () => {
      if (daprd && daprd.exitCode === null) {
        const exited = new Promise((r) => daprd.once('exit', r));
        daprd.kill('SIGTERM');
        await exited;
      }
      await sidecar?.close();
      await Promise.allSettled([kitApp?.close(), goApp?.close()]);
    });

    it('daprkit-sidecar → daprd: HTTP invocation reaches the app behind daprd', async () => {
      const res = await http(sidecar.httpPort, 'POST', `/v1.0/invoke/${goId}/method/hello?via=kit`, 'from kit', {
        'content-type': 'text/plain',
        'x-trace-me': '1',
      });
      expect(res.status, res.text).toBe(200);
      expect(res.json).toEqual({ from: 'go-app', got: 'from kit' });
      expect(res.headers.get('x-from')).toBe('go-app');
      const seen = goApp.requests.find((r) => r.url === '/hello?via=kit')!;
      expect(seen.headers['dapr-caller-app-id']).toBe(kitId);
      expect(seen.headers['dapr-callee-app-id']).toBe(goId);
      expect(seen.headers['x-trace-me']).toBe('1');
      expect(seen.headers['content-type']).toBe('text/plain');
    });

    it('daprd → daprkit-sidecar: HTTP invocation reaches the app behind daprkit', async () => {
      const res = await waitFor(
        async () => {
          const r = await http(daprdHttp, 'POST', `/v1.0/invoke/${kitId}/method/hello?via=daprd`, 'from go', {
            'content-type': 'text/plain',
          });
          return r.status === 200 ? r : undefined;
        },
        20_000,
        'daprd resolves and invokes the daprkit app',
        { intervalMs: 500, detail: () => logs.slice(-3000) },
      );
      expect(res.json).toEqual({ from: 'kit-app', got: 'from go' });
      const seen = kitApp.requests.find((r) => r.url === '/hello?via=daprd')!;
      expect(seen.headers['dapr-caller-app-id']).toBe(goId);
      expect(seen.headers['dapr-callee-app-id']).toBe(kitId);
      expect(seen.headers['content-type']).toBe('text/plain');
    });

    it('gRPC InvokeService on daprkit-sidecar reaches the app behind daprd', async () => {
      const Dapr = makeClientConstructor(daprService().service as never, 'Dapr');
      const client = new Dapr(`127.0.0.1:${sidecar.grpcPort}`, credentials.createInsecure()) as unknown as Record<
        string,
        (r: unknown, m: Metadata, cb: (e: ServiceError | null, v: { data: { value: Buffer } }) => void) => void
      >;
      const response = await new Promise<{ data: { value: Buffer } }>((resolve, reject) =>
        client.InvokeService!(
          {
            id: goId,
            message: {
              method: 'grpc-hello',
              data: { type_url: '', value: Buffer.from('via grpc') },
              content_type: 'text/plain',
              http_extension: { verb: 3, querystring: '' },
            },
          },
          new Metadata(),
          (error, value) => (error ? reject(error) : resolve(value)),
        ),
      );
      expect(JSON.parse(response.data.value.toString())).toEqual({ from: 'go-app', got: 'via grpc' });
    });
  });
}
