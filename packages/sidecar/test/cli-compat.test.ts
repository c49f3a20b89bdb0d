// Issue 14 "drop-in for daprd's command line": every daprd 1.18 flag parses, `dapr run`'s exact argument list
// starts a serving sidecar, and the implemented flags do what daprd's do.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@daprkit/component-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLAGS } from '../src/cli/flags.js';
import { parseQuantityBytes } from '../src/cli/quantity.js';
import { parseSidecarArgs } from '../src/cli.js';
import { DAPR_API_VERSION } from '../src/version.js';
import { ensureSidecarBuilt, PACKAGE_DIR, stopAllProcesses, waitFor } from './support.js';

const DAPRD_118 = join(process.env.HOME ?? '/root', '.cache/daprkit/bin/daprd-1.18.1');

/** Every flag `daprd --help` lists (v1.18.1), plus the deprecated and hidden ones options.go still registers. */
const DAPRD_FLAGS = [
  'actors-disseminate-timeout',
  'allowed-origins',
  'app-channel-address',
  'app-health-check-path',
  'app-health-probe-interval',
  'app-health-probe-timeout',
  'app-health-threshold',
  'app-id',
  'app-max-concurrency',
  'app-port',
  'app-protocol',
  'build-info',
  'config',
  'control-plane-address',
  'control-plane-namespace',
  'control-plane-trust-domain',
  'dapr-block-shutdown-duration',
  'dapr-graceful-shutdown-seconds',
  'dapr-grpc-port',
  'dapr-http-port',
  'dapr-internal-grpc-listen-address',
  'dapr-internal-grpc-port',
  'dapr-listen-addresses',
  'dapr-public-listen-address',
  'dapr-public-port',
  'disable-builtin-k8s-secret-store',
  'disable-init-endpoints',
  'enable-api-logging',
  'enable-app-health-check',
  'enable-metrics',
  'enable-mtls',
  'enable-profiling',
  'log-as-json',
  'log-file',
  'log-level',
  'max-body-size',
  'metrics-listen-address',
  'metrics-port',
  'mode',
  'placement-host-address',
  'profile-port',
  'read-buffer-size',
  'resources-path',
  'scheduler-host-address',
  'scheduler-job-streams',
  'sentry-address',
  'sentry-request-jwt-audiences',
  'unix-domain-socket',
  'version',
  'wait',
  // Deprecated or hidden, still parsed by daprd; the last two are v1.18.3's.
  'components-path',
  'app-ssl',
  'dapr-http-max-request-size',
  'dapr-http-read-buffer-size',
  'actors-service',
  'reminders-service',
  'hot-reload-reconcile-interval',
  'app-binding-options-timeout',
];

/** `dapr run --app-id … --app-port …` (dapr/cli pkg/standalone/run.go @ v1.18): the argument order it builds. */
function daprRunArgs(p: {
  config: string;
  resources: string;
  appPort: number;
  http: number;
  grpc: number;
  metrics: number;
  internal: number;
}) {
  return [
    ...['--config', p.config, '--app-protocol', 'http', '--log-level', 'info', '--app-max-concurrency', '-1'],
    ...['--placement-host-address', 'localhost:50005', '--resources-path', p.resources],
    ...['--max-body-size', '4Mi', '--read-buffer-size', '4Ki', '--scheduler-host-address', 'localhost:50006'],
    ...['--app-id', 'dapr-run-app', '--app-port', String(p.appPort), '--dapr-http-port', String(p.http)],
    ...['--dapr-grpc-port', String(p.grpc), '--profile-port', '-1', '--metrics-port', String(p.metrics)],
    ...['--dapr-internal-grpc-port', String(p.internal)],
  ];
}

describe('daprd flag parsing', () => {
  it('knows every flag of daprd 1.18', () => {
    const missing = DAPRD_FLAGS.filter((f) => FLAGS[f] === undefined);
    expect(missing).toEqual([]);
    if (existsSync(DAPRD_118)) {
      const help = (() => {
        try {
          return execFileSync(DAPRD_118, ['--help'], { encoding: 'utf8', stdio: 'pipe' });
        } catch (error) {
          return String((error as { stderr?: string }).stderr ?? '');
        }
      })();
      const listed = [...help.matchAll(/^\s+--([a-z0-9-]+)/gm)].map((m) => m[1]!);
      expect(listed.length).toBeGreaterThan(40);
      expect(listed.filter((f) => FLAGS[f] === undefined)).toEqual([]);
    }
  });

  it('maps the `dapr run` argument list onto the options, ignoring actors/scheduler with one note each', () => {
    const options = parseSidecarArgs(
      daprRunArgs({
        config: '/c.yaml',
        resources: '/r',
        appPort: 0,
        http: 3600,
        grpc: 3601,
        metrics: 3602,
        internal: 3603,
      }),
    );
    expect(options).toMatchObject({
      appId: 'dapr-run-app',
      appProtocol: 'http',
      configPaths: ['/c.yaml'],
      resourcesPaths: ['/r'],
      appMaxConcurrency: -1,
      maxBodySize: 4 << 20,
      readBufferSize: 4 << 10,
      httpPort: 3600,
      grpcPort: 3601,
      internalGrpcPort: 3603,
      metrics: { enabled: true, port: 3602, host: '127.0.0.1' },
      appHealthCheck: { enabled: false, path: '/healthz', intervalSeconds: 5, timeoutMs: 500, threshold: 3 },
    });
    expect(options.appPort).toBeUndefined(); // --app-port 0: no app
    expect(options.ignored).toEqual([
      '--placement-host-address localhost:50005 (no actors)',
      '--scheduler-host-address localhost:50006 (no jobs or reminders)',
    ]);
  });

  it('takes pflag forms: one dash, =value, negative values, bare and =false booleans, repeated and CSV lists', () => {
    const options = parseSidecarArgs([
      '-app-id=a',
      '-app-max-concurrency',
      '4',
      '--enable-api-logging=false',
      '--log-as-json',
      '--config=a.yaml',
      '--config',
      'b.yaml,c.yaml',
      '--dapr-grpc-port=-1',
      '--dapr-graceful-shutdown-seconds',
      '-3',
      '--dapr-listen-addresses',
      '127.0.0.1,[::1]',
      '--enable-metrics=false',
      '--dapr-public-port',
      '3590',
    ]);
    expect(options).toMatchObject({
      appId: 'a',
      appMaxConcurrency: 4,
      apiLogging: false,
      logAsJson: true,
      configPaths: ['a.yaml', 'b.yaml', 'c.yaml'],
      grpcPort: false,
      gracefulShutdownSeconds: 5, // <0 → daprd's default
      listenAddress: '127.0.0.1',
      extraListenAddresses: ['::1'],
      metrics: { enabled: false },
      publicPort: 3590,
    });
    expect(parseSidecarArgs([]).apiLogging).toBeUndefined(); // tri-state: unset defers to the Configuration
    expect(parseSidecarArgs(['--dapr-http-max-request-size', '8']).maxBodySize).toBe(8 << 20);
    expect(parseSidecarArgs(['--dapr-http-max-request-size', '8', '--max-body-size', '1Mi']).maxBodySize).toBe(1 << 20);
    expect(parseSidecarArgs(['--dapr-http-read-buffer-size', '16']).readBufferSize).toBe(16 << 10);
  });

  it('reads Kubernetes quantities as daprd does', () => {
    expect(parseQuantityBytes('max-body-size', '4Mi')).toBe(4 << 20);
    expect(parseQuantityBytes('max-body-size', '16Ki')).toBe(16 << 10);
    expect(parseQuantityBytes('max-body-size', '4M')).toBe(4_000_000);
    expect(parseQuantityBytes('max-body-size', '1.5Ki')).toBe(1536);
    expect(parseQuantityBytes('max-body-size', '2e3')).toBe(2000);
    expect(parseQuantityBytes('max-body-size', '100')).toBe(100);
    expect(() => parseQuantityBytes('max-body-size', '4MB')).toThrow(/invalid value for 'max-body-size'/);
    expect(() => parseQuantityBytes('max-body-size', '1500m')).toThrow(/cannot get bytes/);
    expect(() => parseSidecarArgs(['--read-buffer-size', 'lots'])).toThrow(/'read-buffer-size'/);
  });

  it('refuses what it cannot do, naming the flag', () => {
    expect(() => parseSidecarArgs(['--enable-mtls'])).toThrow(/--enable-mtls is not supported/);
    expect(parseSidecarArgs(['--enable-mtls=false']).appProtocol).toBe('http');
    expect(() => parseSidecarArgs(['--mode', 'kubernetes'])).toThrow(/standalone mode only/);
    for (const protocol of ['https', 'grpcs', 'h2c'])
      expect(() => parseSidecarArgs(['--app-protocol', protocol])).toThrow(
        /not supported by daprkit-sidecar: use http or grpc/,
      );
    expect(() => parseSidecarArgs(['--app-protocol', 'http', '--app-ssl'])).toThrow(/https \(from --app-ssl\)/);
    expect(parseSidecarArgs(['--app-protocol', 'GRPC']).appProtocol).toBe('grpc');
    expect(() => parseSidecarArgs(['--app-protocol', 'soap'])).toThrow(/invalid value for 'app-protocol': soap/);
    expect(() => parseSidecarArgs(['--no-such-flag'])).toThrow(/unknown flag: --no-such-flag/);
    expect(() => parseSidecarArgs(['--disable-init-endpoints', 'config,bogus'])).toThrow(
      /invalid value for 'disable-init-endpoints': bogus/,
    );
    expect(() => parseSidecarArgs(['--app-id'])).toThrow(/flag needs an argument: --app-id/);
    expect(() => parseSidecarArgs(['--log-as-json=maybe'])).toThrow(/invalid argument "maybe"/);
    expect(() => parseSidecarArgs(['--app-port', '3500', '--dapr-http-port', '3500'])).toThrow(
      /'dapr-http-port' argument value 3500 conflicts with 'app-port'/,
    );
    expect(() => parseSidecarArgs(['--app-health-probe-interval', '1', '--app-health-probe-timeout', '1500'])).toThrow(
      /'health-probe-timeout' must be smaller than 'health-probe-interval'/,
    );
    expect(
      parseSidecarArgs(['--app-health-threshold', '0', '--app-health-probe-interval', '-1']).appHealthCheck,
    ).toEqual({
      enabled: false,
      path: '/healthz',
      intervalSeconds: 5,
      timeoutMs: 500,
      threshold: 3,
    });
  });
});

describe('the sidecar bin with `dapr run`s argument list', () => {
  let dir: string;
  beforeAll(async () => {
    await ensureSidecarBuilt();
    dir = await mkdtemp(join(tmpdir(), 'cli-compat-'));
  });
  afterAll(async () => {
    await stopAllProcesses();
    await rm(dir, { recursive: true, force: true });
  });

  it('starts, logs "waiting on port N" until the app listens, then serves state', { timeout: 60_000 }, async () => {
    // What `dapr init` writes to ~/.dapr/config.yaml.
    const config = join(dir, 'config.yaml');
    await writeFile(
      config,
      'apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: daprConfig\nspec:\n  tracing:\n    samplingRate: "1"\n    zipkin:\n      endpointAddress: http://localhost:9411/api/v2/spans\n',
    );
    const resources = join(dir, 'components');
    await mkdir(resources);
    await writeFile(
      join(resources, 'statestore.yaml'),
      'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: statestore\nspec:\n  type: state.in-memory\n  version: v1\n  metadata: []\n',
    );
    const appPort = await freePort();
    const ports = {
      http: await freePort(),
      grpc: await freePort(),
      metrics: await freePort(),
      internal: await freePort(),
    };
    const child = spawn(
      process.execPath,
      [join(PACKAGE_DIR, 'bin', 'daprkit-sidecar.js'), ...daprRunArgs({ config, resources, appPort, ...ports })],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let logs = '';
    child.stdout.on('data', (c: Buffer) => (logs += c));
    child.stderr.on('data', (c: Buffer) => (logs += c));
    try {
      await waitFor(
        () => (logs.includes(`waiting on port ${appPort}.`) ? true : undefined),
        20_000,
        `"waiting on port" in:\n${logs}`,
      );
      expect(logs).toContain(
        `application protocol: http. waiting on port ${appPort}.  This will block until the app is listening on that port.`,
      );
      const base = `http://127.0.0.1:${ports.http}`;
      expect((await fetch(`${base}/v1.0/healthz/outbound`)).status).toBe(204);
      expect((await fetch(`${base}/v1.0/healthz`)).status).toBe(500); // not ready before the app is up, as daprd
      // The app comes up late, on the port `dapr run` was given.
      const listener = createServer((_q, s) => s.writeHead(404).end());
      await new Promise<void>((resolve) => listener.listen(appPort, '127.0.0.1', resolve));
      try {
        await waitFor(
          async () => ((await fetch(`${base}/v1.0/healthz`)).status === 204 ? true : undefined),
          20_000,
          'healthz 204',
        );
        const save = await fetch(`${base}/v1.0/state/statestore`, {
          method: 'POST',
          body: '[{"key":"k","value":{"a":1}}]',
        });
        expect(save.status).toBe(204);
        expect(await (await fetch(`${base}/v1.0/state/statestore/k`)).json()).toEqual({ a: 1 });
        const metadata = (await (await fetch(`${base}/v1.0/metadata`)).json()) as Record<string, unknown>;
        expect(metadata).toMatchObject({ id: 'dapr-run-app', runtimeVersion: DAPR_API_VERSION });
        expect(logs.match(/ignoring what it does not implement/g)).toHaveLength(1);
      } finally {
        listener.closeAllConnections();
        listener.close();
      }
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    expect(logs).not.toMatch(/Unknown option|unknown flag/);
  });

  it('prints a version Dapr tooling parses', () => {
    const out = execFileSync(process.execPath, [join(PACKAGE_DIR, 'bin', 'daprkit-sidecar.js'), '--version'], {
      encoding: 'utf8',
    });
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(out.trim()).toBe(DAPR_API_VERSION);
  });

  it('serves both APIs on unix sockets with --unix-domain-socket', { timeout: 30_000 }, async () => {
    const socketDir = await mkdtemp(join(tmpdir(), 'uds-'));
    const child = spawn(
      process.execPath,
      [join(PACKAGE_DIR, 'bin', 'daprkit-sidecar.js'), '--app-id', 'uds-app', '--unix-domain-socket', socketDir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let logs = '';
    child.stderr.on('data', (c: Buffer) => (logs += c));
    try {
      const socketPath = join(socketDir, 'dapr-uds-app-http.socket');
      await waitFor(
        () => (logs.includes('HTTP server listening on') ? true : undefined),
        20_000,
        `listening:\n${logs}`,
      );
      expect(existsSync(join(socketDir, 'dapr-uds-app-grpc.socket'))).toBe(true);
      const status = await new Promise<number>((resolve, reject) => {
        request({ socketPath, path: '/v1.0/healthz/outbound' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
      expect(status).toBe(204);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await rm(socketDir, { recursive: true, force: true });
    }
  });
});
