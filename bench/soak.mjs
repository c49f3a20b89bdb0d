#!/usr/bin/env node
// Soak (by hand, not CI; issue 21 "Done when"): the daprkit sidecar with its state store and pub/sub served by the
// daprkit-state-memory and daprkit-pubsub-memory plugin bins over unix sockets, plus an in-process localstorage
// binding, under mixed load for --minutes (default 10): state save/get, publish to a topic a deliberately slow
// app subscribes to (so the bounded in-memory queue fills and publishers feel backpressure), binding create over
// a fixed set of file names. RSS of the sidecar and both plugins is sampled every --sample-seconds (default 30).
//   node bench/soak.mjs --minutes 10 [--concurrency 16] [--app-delay-ms 2]
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { Agent, createServer, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    'sample-seconds': { type: 'string', default: '30' },
    concurrency: { type: 'string', default: '16' },
    'app-delay-ms': { type: 'string', default: '2' },
  },
});
const MINUTES = Number(values.minutes);
const SAMPLE_MS = Number(values['sample-seconds']) * 1000;
const CONCURRENCY = Number(values.concurrency);
const APP_DELAY_MS = Number(values['app-delay-ms']);
for (const [name, n] of Object.entries({ MINUTES, SAMPLE_MS, CONCURRENCY, APP_DELAY_MS }))
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name.toLowerCase()} must be a non-negative number`);

const root = new URL('..', import.meta.url).pathname;
const work = await mkdtemp(join(tmpdir(), 'daprkit-soak-'));
const sockets = join(work, 'sockets');
const files = join(work, 'files');
const resources = join(work, 'resources');
for (const dir of [sockets, files, resources]) await import('node:fs/promises').then((fs) => fs.mkdir(dir));

function start(args, label) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: root });
  let output = '';
  child.stdout.on('data', (d) => (output = (output + d).slice(-20_000)));
  child.stderr.on('data', (d) => (output = (output + d).slice(-20_000)));
  started.push(child);
  return { child, label, output: () => output, alive: () => child.exitCode === null && child.signalCode === null };
}
const started = [];
// Whatever ends this script ends the processes it started.
process.on('exit', () => {
  for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
});

async function waitFor(predicate, ms, what) {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const statePlugin = start(
  [join(root, 'packages/state-memory/bin/daprkit-state-memory.js'), '--socket', join(sockets, 'soakstate.sock')],
  'state plugin',
);
const pubsubPlugin = start(
  [join(root, 'packages/pubsub-memory/bin/daprkit-pubsub-memory.js'), '--socket', join(sockets, 'soakpubsub.sock')],
  'pubsub plugin',
);
await waitFor(
  () => existsSync(join(sockets, 'soakstate.sock')) && existsSync(join(sockets, 'soakpubsub.sock')),
  20_000,
  'plugin sockets',
);

// The slow app: subscribes to `soak`, answers each delivery after APP_DELAY_MS.
let delivered = 0;
const app = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.url === '/dapr/subscribe') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify([{ pubsubname: 'pubsub', topic: 'soak', route: '/events' }]));
      return;
    }
    setTimeout(() => {
      if (req.url === '/events') delivered++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"SUCCESS"}');
    }, APP_DELAY_MS);
  });
});
await new Promise((r) => app.listen(0, '127.0.0.1', r));
const appPort = app.address().port;

const component = (name, type, metadata) =>
  `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${name}\nspec:\n  type: ${type}\n  version: v1\n  metadata:\n${
    Object.entries(metadata)
      .map(([k, v]) => `    - name: ${k}\n      value: ${JSON.stringify(v)}`)
      .join('\n') || '    []'
  }\n`;
await writeFile(
  join(resources, 'components.yaml'),
  [
    component('statestore', 'state.soakstate', {}),
    component('pubsub', 'pubsub.soakpubsub', {}),
    component('files', 'bindings.localstorage', { rootPath: files }),
  ].join('---\n'),
);
const sidecar = start(
  [
    join(root, 'packages/sidecar/bin/daprkit-sidecar.js'),
    ...['--app-id', 'soak', '--app-port', String(appPort), '--dapr-http-port', '0', '--dapr-grpc-port', '0'],
    ...['--resources-path', resources, '--sockets-folder', sockets, '--log-level', 'info'],
  ],
  'sidecar',
);
let httpPort;
await waitFor(
  () => {
    const m = /Dapr APIs listening .*"http":"[^"]*:(\d+)"/.exec(sidecar.output());
    if (m) httpPort = Number(m[1]);
    if (!sidecar.alive()) throw new Error(`sidecar exited:\n${sidecar.output()}`);
    return httpPort !== undefined;
  },
  30_000,
  'the sidecar',
);

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
function call(method, path, body, headers = {}) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: httpPort, path, method, agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

const counts = {};
const count = (op, status) => {
  const key = `${op} ${status}`;
  counts[key] = (counts[key] ?? 0) + 1;
};
const payload = JSON.stringify({ v: 'x'.repeat(200) });
const OPS = [
  async (i) => [
    'save',
    await call('POST', '/v1.0/state/statestore', `[{"key":"k${(i >> 2) % 1000}","value":${payload}}]`),
  ],
  async (i) => ['get', await call('GET', `/v1.0/state/statestore/k${(i >> 2) % 1000}`)],
  async () => [
    'publish',
    await call('POST', '/v1.0/publish/pubsub/soak', payload, { 'content-type': 'application/json' }),
  ],
  async (i) => [
    'binding',
    await call(
      'POST',
      '/v1.0/bindings/files',
      `{"operation":"create","data":${payload},"metadata":{"fileName":"f${i % 100}.json"}}`,
    ),
  ],
];

const rssMb = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : Number.NaN;
};
const watched = [sidecar, statePlugin, pubsubPlugin];
const samples = [];
const sample = () => {
  const row = { t: Math.round((Date.now() - startedAt) / 1000), load: loadavg()[0].toFixed(2), delivered };
  for (const p of watched) row[p.label] = p.alive() ? rssMb(p.child.pid) : 'DEAD';
  samples.push(row);
  console.log(JSON.stringify(row));
};

const startedAt = Date.now();
const endAt = startedAt + MINUTES * 60_000;
sample();
const sampler = setInterval(sample, SAMPLE_MS);
let n = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (Date.now() < endAt) {
      const i = n++;
      const [op, status] = await OPS[i % OPS.length](i);
      count(op, status);
    }
  }),
);
clearInterval(sampler);
sample();

console.log('\nrequests by operation and status:', JSON.stringify(counts, null, 1));
console.log(`delivered to the app: ${delivered}`);
for (const p of watched) {
  const series = samples.map((s) => s[p.label]).filter((v) => typeof v === 'number');
  console.log(
    `${p.label}: start ${series[0]} MB, end ${series.at(-1)} MB, max ${Math.max(...series)} MB${p.alive() ? '' : ' (DIED)'}`,
  );
}
console.log(
  `load average at the end: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const p of watched) p.child.kill('SIGTERM');
agent.destroy();
app.close();
app.closeAllConnections();
