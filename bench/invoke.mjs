// invoke: service invocation through two sidecars, daprd pair vs daprkit pair, each finding the other by mDNS:
// caller sidecar → (internal gRPC API) → callee sidecar → an echo app (HTTP). Same app, same requests.
// - HTTP: autocannon POSTs a 64-byte body to /v1.0/invoke/<callee>/method/echo on the caller sidecar;
// - gRPC: InvokeService (http_extension POST) on the caller sidecar, BENCH_CONCURRENCY calls in flight.
// p50 overhead = p50 through the sidecars − p50 straight to the app (HTTP), so the app's own cost cancels out.
// daprd is 1.18.1 when built (DAPRKIT_DAPRD_VERSION=1.18.1 bash scripts/daprd.sh), else scripts/daprd.sh's.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { daprdPath } from './daprd.mjs';
import { freePort, fullGc, measureDetailed, printTable, settings, waitFor } from './harness.mjs';
import { httpStatus, startProcess } from './sidecar.mjs';

const root = new URL('..', import.meta.url).pathname;
const sidecarBin = join(root, 'packages/sidecar/bin/daprkit-sidecar.js');
const requireSidecar = createRequire(join(root, 'packages/sidecar/package.json'));
const grpc = requireSidecar('@grpc/grpc-js');
const protoLoader = requireSidecar('@grpc/proto-loader');
const BODY = Buffer.alloc(64, 'x');

function daprd118() {
  const path = join(
    process.env.DAPRKIT_CACHE_DIR ?? join(process.env.HOME ?? '/root', '.cache/daprkit'),
    'bin/daprd-1.18.1',
  );
  return existsSync(path) ? path : daprdPath();
}

function startEchoApp() {
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.concat(chunks));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ port: server.address().port, server })),
  );
}

async function healthy(port, proc, what) {
  await waitFor(
    async () => proc.exited() || (await httpStatus(port, '/v1.0/healthz')) === 204,
    60_000,
    () => `${what} not healthy within 60 s: ${proc.output().slice(-2000)}`,
  );
  if (proc.exited()) throw new Error(`${what} exited: ${proc.output().slice(-2000)}`);
}

async function startDaprdProcess(daprd, appId, appPort, resources) {
  const [http, grpcPort, internal, metrics] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const child = spawn(
    daprd,
    [
      ...['--app-id', appId, '--dapr-http-port', String(http), '--dapr-grpc-port', String(grpcPort)],
      ...(appPort ? ['--app-port', String(appPort), '--app-protocol', 'http'] : []),
      ...['--dapr-internal-grpc-port', String(internal), '--metrics-port', String(metrics)],
      ...['--dapr-listen-addresses', '127.0.0.1', '--resources-path', resources, '--log-level', 'warn'],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const proc = {
    output: () => output,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    async stop() {
      if (proc.exited()) return;
      child.kill('SIGTERM');
      await new Promise((r) => (proc.exited() ? r() : child.once('exit', r)));
    },
  };
  await healthy(http, proc, 'daprd');
  return { http, grpc: grpcPort, proc };
}

async function startKitProcess(appId, appPort, resources) {
  const [http, grpcPort] = [await freePort(), await freePort()];
  const proc = startProcess(
    [
      sidecarBin,
      ...['--app-id', appId, '--dapr-http-port', String(http), '--dapr-grpc-port', String(grpcPort)],
      ...(appPort ? ['--app-port', String(appPort)] : []),
      ...['--resources-path', resources, '--log-level', 'warn'],
    ],
    'daprkit-sidecar',
  );
  await healthy(http, proc, 'daprkit-sidecar');
  return { http, grpc: grpcPort, proc };
}

async function cannon(port, path, durationMs) {
  fullGc();
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: settings.concurrency,
    pipelining: 1,
    duration: durationMs / 1000,
    requests: [{ method: 'POST', path, headers: { 'content-type': 'application/octet-stream' }, body: BODY }],
  });
  return {
    perSec: result.requests.total / result.duration,
    p50ms: result.latency.p50,
    p99ms: result.latency.p99,
    bad: result.non2xx + result.errors + result.timeouts,
  };
}

function grpcInvoker(port, calleeId) {
  const definition = protoLoader.loadSync('dapr/proto/runtime/v1/dapr.proto', {
    includeDirs: [join(root, 'packages/sidecar/proto')],
    keepCase: true,
    defaults: true,
  });
  const Dapr = grpc.loadPackageDefinition(definition).dapr.proto.runtime.v1.Dapr;
  const client = new Dapr(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const request = {
    id: calleeId,
    message: {
      method: 'echo',
      data: { type_url: '', value: BODY },
      content_type: 'application/octet-stream',
      http_extension: { verb: 3, querystring: '' },
    },
  };
  return {
    call: () =>
      new Promise((resolve, reject) => client.InvokeService(request, (err, res) => (err ? reject(err) : resolve(res)))),
    close: () => client.close(),
  };
}

async function runPair(start, app, scratch) {
  const run = randomUUID().slice(0, 8);
  const calleeId = `bench-callee-${run}`;
  const callee = await start(calleeId, app.port, scratch);
  let caller;
  try {
    caller = await start(`bench-caller-${run}`, 0, scratch);
    const path = `/v1.0/invoke/${calleeId}/method/echo`;
    await waitFor(
      async () => (await cannon(caller.http, path, 200)).bad === 0,
      20_000,
      () => `the caller cannot reach ${calleeId}: ${caller.proc.output().slice(-1500)}`,
    );
    await cannon(caller.http, path, settings.processWarmupMs);
    const http = await cannon(caller.http, path, settings.durationMs);
    const invoker = grpcInvoker(caller.grpc, calleeId);
    try {
      await measureDetailed(invoker.call, { durationMs: settings.processWarmupMs });
      const g = await measureDetailed(invoker.call);
      return { http, grpc: { perSec: g.opsPerSec, p50ms: g.p50us / 1000, p99ms: g.p99us / 1000 } };
    } finally {
      invoker.close();
    }
  } finally {
    await caller?.proc.stop();
    await callee.proc.stop();
  }
}

export async function benchInvoke() {
  const daprd = daprd118();
  const rows = [{ scenario: 'invoke HTTP (POST 64 B)' }, { scenario: 'invoke gRPC InvokeService' }];
  const notes = [];
  const app = await startEchoApp();
  const scratch = mkdtempSync(join(tmpdir(), 'dkb-invoke-'));
  try {
    await cannon(app.port, '/echo', settings.warmupMs);
    const direct = await cannon(app.port, '/echo', settings.durationMs);
    notes.push(`app alone (HTTP, no sidecar): ${Math.round(direct.perSec)} req/s, p50 ${direct.p50ms} ms`);
    const pairs = [
      ...(daprd ? [['daprd', (id, port, res) => startDaprdProcess(daprd, id, port, res)]] : []),
      ['daprkit', startKitProcess],
    ];
    if (!daprd) notes.push('daprd: skipped — no daprd binary (bash scripts/daprd.sh builds one)');
    for (const [column, start] of pairs) {
      try {
        const r = await runPair(start, app, scratch);
        rows[0][column] = r.http.perSec;
        rows[1][column] = r.grpc.perSec;
        notes.push(
          `${column} p50/p99 ms: HTTP ${r.http.p50ms}/${r.http.p99ms} (p50 overhead ${(r.http.p50ms - direct.p50ms).toFixed(2)} ms), ` +
            `gRPC ${r.grpc.p50ms.toFixed(2)}/${r.grpc.p99ms.toFixed(2)}${r.http.bad ? `; ${r.http.bad} HTTP non-2xx/errors` : ''}`,
        );
      } catch (err) {
        notes.push(`${column}: failed: ${err.message.split('\n')[0]}`);
      }
    }
  } finally {
    app.server.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  printTable(
    `service invocation: two sidecars by mDNS (${daprd ? daprd.split('/').pop() : 'no daprd'} vs daprkit)`,
    ['daprd', 'daprkit'],
    rows,
    {
      unit: 'req/s',
      setup: `${settings.concurrency} in flight, ${settings.durationMs} ms per cell, echo app on node:http`,
      ratios: [['daprkit', 'daprd']],
      notes,
    },
  );
  return rows;
}
