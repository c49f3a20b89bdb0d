// `pnpm bench [name...]` — runs the benchmark suites (after a build) and prints rates side by side with ratios.
// Backends come from scripts/services.sh (a suite whose backend is unreachable says so and is skipped).
import { loadavg } from 'node:os';
import { settings } from './harness.mjs';

const suites = {
  'state-memory': async () => (await import('./state-memory.mjs')).benchStateMemory(),
  'state-redis': async () => (await import('./state-redis.mjs')).benchStateRedis(),
  pubsub: async () => (await import('./pubsub.mjs')).benchPubSub(),
  sidecar: async () => (await import('./sidecar.mjs')).benchSidecar(),
  'sidecar-grpc': async () => (await import('./sidecar-grpc.mjs')).benchSidecarGrpc(),
  daprd: async () => (await import('./daprd.mjs')).benchDaprd(),
  invoke: async () => (await import('./invoke.mjs')).benchInvoke(),
  'bindings-output': async () => (await import('./bindings-output.mjs')).benchBindingsOutput(),
  rabbitmq: async () => (await import('./rabbitmq.mjs')).benchRabbitMQ(),
  'bindings-input': async () => (await import('./bindings-input.mjs')).benchBindingsInput(),
  'state-sqlite': async () => (await import('./state-sqlite.mjs')).benchStateSqlite(),
  transport: async () => (await import('./transport.mjs')).benchTransport(),
  startup: async () => (await import('./startup.mjs')).benchStartup(),
  // transport + daprd + startup again, with one summary of issue 13's ratios: only when named.
  issue13: async () => (await import('./issue13.mjs')).benchIssue13(),
  aws: async () => (await import('./aws.mjs')).benchAws(),
  brokers: async () => (await import('./brokers.mjs')).benchBrokers(),
  snssqs: async () => (await import('./snssqs.mjs')).benchSnsSqs(),
  'mqtt-nats': async () => (await import('./brokers-mqtt-nats.mjs')).benchBrokersMqttNats(),
  tracing: async () => (await import('./tracing.mjs')).benchTracing(),
};
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !(w in suites));
if (unknown.length > 0) {
  console.error(`unknown suite(s): ${unknown.join(', ')}; available: ${Object.keys(suites).join(', ')}`);
  process.exit(2);
}
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
console.log(
  `daprkit bench — ${new Date().toISOString()}, node ${process.version}, load average ${load()}` +
    ` (BENCH_DURATION_MS=${settings.durationMs}, BENCH_WARMUP_MS=${settings.warmupMs}, BENCH_CONCURRENCY=${settings.concurrency})`,
);
let failed = false;
for (const [name, run] of Object.entries(suites)) {
  if (wanted.length > 0 ? !wanted.includes(name) : name === 'issue13') continue;
  try {
    await run();
  } catch (err) {
    failed = true;
    console.log(`\n${name}: FAILED: ${err?.stack ?? err}`);
  }
}
console.log(`\nload average at the end: ${load()}`);
process.exitCode = failed ? 1 : 0;
