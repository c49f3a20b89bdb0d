// mqtt-nats: publish→app delivery through a real broker, daprkit-sidecar with the component in process vs daprd 1.16
// with contrib's own component, on the same broker and the same app. Each round starts one sidecar (or daprd) with a
// pub/sub `pubsub` of the broker's type, a node:http app in this process that subscribes through /dapr/subscribe and
// answers SUCCESS, and times N publishes (POST /v1.0/publish/pubsub/<topic>, 64 in flight) from the first publish to
// the last delivery. Rounds alternate sidecar/daprd; the median per column is shown, with the load average.
// MQTT: pubsub.mqtt3 on mosquitto (QoS 1, persistent session). NATS JetStream: daprd's stablecomponents build has
// no pubsub.jetstream (beta upstream), so its daprd column is the `extra` build (DAPRKIT_DAPRD_VARIANT=extra
// bash scripts/daprd.sh), when present.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, createServer, request } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { formatRate, freePort, printTable, settings, waitFor } from './harness.mjs';
import { httpStatus, startProcess } from './sidecar.mjs';

const MESSAGES = Number(process.env.BENCH_BROKER_MESSAGES ?? 2000);
const ROUNDS = Number(process.env.BENCH_BROKER_ROUNDS ?? 3);
/** Messages through each round before the timed run: 2000, as brokers.mjs (a fresh node process spends ~0.5 s of
 * CPU in V8's optimising compiler over its first ~2000 messages); BENCH_BROKER_WARMUP=200 shows that cold cost. */
const WARMUP = Number(process.env.BENCH_BROKER_WARMUP ?? 2000);
const root = new URL('..', import.meta.url).pathname;
const sidecarBin = join(root, 'packages/sidecar/bin/daprkit-sidecar.js');
const DAPRD = process.env.DAPRKIT_DAPRD ?? join(process.env.HOME ?? '/root', '.cache/daprkit/bin/daprd-1.16.0');
const DAPRD_EXTRA =
  process.env.DAPRKIT_DAPRD_EXTRA ?? join(process.env.HOME ?? '/root', '.cache/daprkit/bin/daprd-1.16.0-extra');
const MQTT_URL = process.env.DAPRKIT_MQTT_URL ?? 'tcp://127.0.0.1:1883';
const NATS_URL = process.env.DAPRKIT_NATS_URL ?? 'nats://127.0.0.1:4222';
const pad = 'x'.repeat(160);
/** BENCH_BROKERS=mqtt or =jetstream runs that broker alone (default: both). */
const BROKERS = (process.env.BENCH_BROKERS ?? 'mqtt,jetstream').split(',').map((b) => b.trim());

function yaml(type, metadata) {
  const items = Object.entries(metadata).map(([k, v]) => `    - name: ${k}\n      value: ${JSON.stringify(v)}`);
  return `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: pubsub\nspec:\n  type: ${type}\n  version: v1\n  metadata:\n${items.join('\n')}\n`;
}

async function startApp(topic) {
  const state = { seen: new Set(), last: 0n, duplicates: 0 };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/dapr/subscribe') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify([{ pubsubname: 'pubsub', topic, route: '/deliver' }]));
        return;
      }
      if (req.method === 'POST' && req.url === '/deliver') {
        try {
          const i = JSON.parse(Buffer.concat(chunks).toString()).data?.i;
          if (state.seen.has(i)) state.duplicates++;
          else {
            state.seen.add(i);
            state.last = process.hrtime.bigint();
          }
        } catch {}
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"status":"SUCCESS"}');
        return;
      }
      res.writeHead(404);
      res.end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, state, close: () => new Promise((r) => server.close(r)) };
}

function post(agent, port, path, body) {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode < 300 ? resolve() : reject(new Error(`POST ${path}: HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** utime + stime of a process (or of one of its threads, `task`) in ms (Linux /proc; undefined elsewhere). */
export function cpuMs(pid, task = undefined) {
  try {
    const path = task === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${task}/stat`;
    const fields = readFileSync(path, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks, USER_HZ = 100
  } catch {
    return undefined;
  }
}

/** Write-type syscalls of a process so far (Linux /proc/<pid>/io `syscw`; undefined elsewhere): each socket write
 * on loopback also runs the receiver's TCP path and may switch to it, so their count per message matters. */
export function syscw(pid) {
  try {
    const line = readFileSync(`/proc/${pid}/io`, 'utf8').match(/^syscw: (\d+)$/m);
    return line === null ? undefined : Number(line[1]);
  } catch {
    return undefined;
  }
}

/**
 * `kind`: 'sidecar', 'daprd' or 'daprd-extra' (daprd's extra build, for the beta components). `stats`, when given,
 * gets `cpuMsPerMsg`: the sidecar's (or daprd's) own CPU per message over the measured run, all threads, and
 * `mainCpuMsPerMsg`: its main thread's alone (for node the JavaScript thread: the rest is V8's compiler and GC
 * helper threads). `warmup`: messages delivered before the timed run.
 */
export async function round(
  kind,
  type,
  metadata,
  topic = `bench-${randomUUID().slice(0, 8)}`,
  stats = undefined,
  { warmup = WARMUP, bin = sidecarBin } = {},
) {
  const app = await startApp(topic);
  const resources = await mkdtemp('/tmp/dk-bench-broker-');
  await writeFile(join(resources, 'pubsub.yaml'), yaml(type, metadata));
  const [http, grpc, internal, metrics] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const common = ['--app-id', 'bench', '--dapr-http-port', String(http), '--dapr-grpc-port', String(grpc)];
  const proc =
    kind !== 'sidecar'
      ? startBinary(kind === 'daprd-extra' ? DAPRD_EXTRA : DAPRD, [
          ...common,
          ...['--dapr-internal-grpc-port', String(internal), '--metrics-port', String(metrics)],
          ...['--dapr-listen-addresses', '127.0.0.1', '--resources-path', resources, '--log-level', 'warn'],
          ...['--app-port', String(app.port), '--app-protocol', 'http'],
        ])
      : startProcess(
          [bin, ...common, '--resources-path', resources, '--app-port', String(app.port), '--log-level', 'warn'],
          'daprkit-sidecar',
        );
  const agent = new Agent({ keepAlive: true, maxSockets: settings.concurrency });
  try {
    await waitFor(
      async () => proc.exited() || (await httpStatus(http, '/v1.0/healthz')) === 204,
      60_000,
      () => `${kind} not healthy: ${proc.output().slice(-1500)}`,
    );
    if (proc.exited()) throw new Error(`${kind} exited: ${proc.output().slice(-1500)}`);
    // Warm-up: publish probes until one is delivered (the subscription is attached), then `warmup` more.
    let probe = -1;
    await waitFor(
      async () => {
        await post(agent, http, `/v1.0/publish/pubsub/${topic}`, JSON.stringify({ i: probe--, pad }));
        await new Promise((r) => setTimeout(r, 100));
        return app.state.seen.size > 0;
      },
      30_000,
      `${kind}: no delivery`,
    );
    const send = async (from, count) => {
      let next = from;
      const worker = async () => {
        while (next < from + count) {
          const i = next++;
          await post(agent, http, `/v1.0/publish/pubsub/${topic}`, JSON.stringify({ i, pad }));
        }
      };
      await Promise.all(Array.from({ length: settings.concurrency }, worker));
    };
    await send(1_000_000, warmup);
    await waitFor(() => [...app.state.seen].filter((i) => i >= 1_000_000).length >= warmup, 60_000, `${kind}: warm-up`);
    app.state.seen.clear();
    const writesBefore = syscw(proc.child.pid);
    const cpuBefore = cpuMs(proc.child.pid);
    const mainBefore = cpuMs(proc.child.pid, proc.child.pid);
    const start = process.hrtime.bigint();
    await send(0, MESSAGES);
    const published = process.hrtime.bigint();
    await waitFor(
      () => app.state.seen.size >= MESSAGES,
      120_000,
      () => `${kind}: ${app.state.seen.size}/${MESSAGES}`,
    );
    const cpuAfter = cpuMs(proc.child.pid);
    const writesAfter = syscw(proc.child.pid);
    const mainAfter = cpuMs(proc.child.pid, proc.child.pid);
    // When publishing finished: a delivery rate well above MESSAGES / publishSeconds is bound by the publish side.
    if (stats !== undefined) stats.publishSeconds = Number(published - start) / 1e9;
    if (stats !== undefined && writesBefore !== undefined && writesAfter !== undefined)
      stats.writesPerMsg = (writesAfter - writesBefore) / MESSAGES;
    if (stats !== undefined && cpuBefore !== undefined && cpuAfter !== undefined) {
      stats.cpuMsPerMsg = (cpuAfter - cpuBefore) / MESSAGES;
      if (mainBefore !== undefined && mainAfter !== undefined)
        stats.mainCpuMsPerMsg = (mainAfter - mainBefore) / MESSAGES;
    }
    return MESSAGES / (Number(app.state.last - start) / 1e9);
  } finally {
    agent.destroy();
    await proc.stop();
    await app.close();
    await rm(resources, { recursive: true, force: true });
  }
}

function startBinary(bin, args) {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    output: () => output,
    exited,
    async stop() {
      if (exited()) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await new Promise((r) => (exited() ? r() : child.once('exit', r)));
      clearTimeout(killer);
    },
  };
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchBrokersMqttNats() {
  const notes = [
    `load average before: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  ];
  const rows = [];
  if (!existsSync(DAPRD)) notes.push(`no daprd at ${DAPRD}: daprd column skipped`);
  if (BROKERS.includes('mqtt')) {
    const mqtt = { scenario: 'mqtt3 publish→delivery (mosquitto)' };
    const samples = { sidecar: [], daprd: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const kind of existsSync(DAPRD) ? ['sidecar', 'daprd'] : ['sidecar']) {
        try {
          samples[kind].push(
            await round(kind, 'pubsub.mqtt3', { url: MQTT_URL, consumerID: `bench-${kind}-${randomUUID()}`, qos: '1' }),
          );
        } catch (err) {
          notes.push(`mqtt ${kind} round ${r + 1} failed: ${err.message.split('\n')[0]}`);
        }
      }
    }
    if (samples.sidecar.length) mqtt['daprkit-sidecar'] = median(samples.sidecar);
    if (samples.daprd.length) mqtt['daprd 1.16'] = median(samples.daprd);
    notes.push(
      `mqtt samples msgs/s: sidecar ${samples.sidecar.map(formatRate).join(', ')}; daprd ${samples.daprd.map(formatRate).join(', ')}`,
    );
    rows.push(mqtt);
  }
  // JetStream: sidecar only (see the header). The stream is created here: the component never creates one.
  if (BROKERS.includes('jetstream')) {
    const js = { scenario: 'jetstream publish→delivery (nats-server)' };
    try {
      const { connect } = await import('@nats-io/transport-node');
      const { jetstreamManager } = await import('@nats-io/jetstream');
      const nc = await connect({ servers: NATS_URL, timeout: 2000, maxReconnectAttempts: 0 });
      const jsm = await jetstreamManager(nc);
      const id = randomUUID().slice(0, 8);
      await jsm.streams.add({ name: `daprkit-bench-${id}`, subjects: [`daprkit.bench.${id}.>`] });
      const jsSamples = { sidecar: [], daprd: [] };
      const jsStats = { sidecar: [], daprd: [] };
      const kinds = existsSync(DAPRD_EXTRA) ? ['sidecar', 'daprd-extra'] : ['sidecar'];
      try {
        for (let r = 0; r < ROUNDS; r++) {
          for (const kind of r % 2 === 0 ? kinds : [...kinds].reverse()) {
            const topic = `daprkit.bench.${id}.r${r}.${kind}`;
            const metadata = { natsURL: NATS_URL, ...(kind === 'sidecar' ? {} : { durableName: `bench-${id}-${r}` }) };
            const column = kind === 'sidecar' ? 'sidecar' : 'daprd';
            const stats = {};
            jsSamples[column].push(await round(kind, 'pubsub.jetstream', metadata, topic, stats));
            jsStats[column].push(stats);
          }
        }
      } finally {
        await jsm.streams.delete(`daprkit-bench-${id}`).catch(() => {});
        await nc.close();
      }
      js['daprkit-sidecar'] = median(jsSamples.sidecar);
      if (jsSamples.daprd.length) js['daprd 1.16'] = median(jsSamples.daprd);
      notes.push(
        `jetstream samples msgs/s: sidecar ${jsSamples.sidecar.map(formatRate).join(', ')}; daprd (extra build) ${jsSamples.daprd.map(formatRate).join(', ')}`,
      );
      // Per message, medians over the rounds: the process's CPU (all threads) and its write syscalls.
      const per = (column) => {
        const cpu = jsStats[column].map((x) => x.cpuMsPerMsg).filter((x) => x !== undefined);
        const writes = jsStats[column].map((x) => x.writesPerMsg).filter((x) => x !== undefined);
        return `${cpu.length ? `${Math.round(median(cpu) * 1000)} µs CPU` : 'CPU n/a'}, ${writes.length ? `${median(writes).toFixed(2)} writes` : 'writes n/a'}`;
      };
      notes.push(
        `jetstream per message: sidecar ${per('sidecar')}${jsStats.daprd.length ? `; daprd ${per('daprd')}` : ''}`,
      );
    } catch (err) {
      notes.push(`jetstream skipped: ${err.message.split('\n')[0]}`);
    }
    rows.push(js);
  }
  if (!existsSync(DAPRD_EXTRA))
    notes.push(
      `jetstream: no daprd column (no daprd extra build at ${DAPRD_EXTRA}; pubsub.jetstream is beta upstream)`,
    );
  notes.push(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  printTable('mqtt-nats (publish→app delivery through the broker)', ['daprd 1.16', 'daprkit-sidecar'], rows, {
    unit: 'msgs/s',
    setup: `${MESSAGES} msgs, ${settings.concurrency} publishes in flight, median of ${ROUNDS} interleaved rounds`,
    notes,
  });
  return rows;
}
