// What OpenTelemetry JS's own Zipkin exporter costs per span (toZipkinSpan, JSON, HTTP POST), alone: the floor of
// what exporting costs the sidecar at samplingRate 1 whichever thread does it (the issue asks for this SDK).
// The spans are shaped as the sidecar's state-get spans (name, kind, the attributes its export thread derives from
// http-span-attributes.js, so run after `pnpm build`); the receiver is a separate process, so its CPU is not
// counted; CPU is this process's, over batches of 2,048 (the export thread's).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const fromSidecar = createRequire(new URL('../packages/sidecar/package.json', import.meta.url));
const load = (name) => import(pathToFileURL(fromSidecar.resolve(name)).href);
const { httpSpanAttributes } = await import('../packages/sidecar/dist/observability/http-span-attributes.js');

const BATCH = 2048;
const BATCHES = 10;

/** A Zipkin receiver in a child process that accepts and discards every POST; resolves with its port. */
function startReceiver() {
  const child = spawn(
    process.execPath,
    [
      '-e',
      "require('node:http').createServer((q,s)=>{q.resume();q.on('end',()=>{s.writeHead(202);s.end()})})" +
        ".listen(0,'127.0.0.1',function(){console.log(this.address().port)})",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(Number(String(d))));
    child.once('exit', (code) => reject(new Error(`span receiver exited (${code})`)));
  });
  return { port, stop: () => child.kill() };
}

function spans(resource) {
  let next = 1;
  const id = (chars) => (next++).toString(16).padStart(chars, '0');
  return Array.from({ length: BATCHES }, () =>
    Array.from({ length: BATCH }, (_, i) => {
      const context = { traceId: id(32), spanId: id(16), traceFlags: 1 };
      const path = `/v1.0/state/statestore/key-${i}`;
      // The attributes the sidecar exports for a state get, from the sidecar's own derivation.
      const attributes = {};
      httpSpanAttributes(['GET', path, '', 'state', 'statestore', 200, '127.0.0.1', 53422], attributes);
      return {
        name: path,
        kind: 2,
        spanContext: () => context,
        parentSpanContext: undefined,
        startTime: [1_764_700_000, i * 1000],
        endTime: [1_764_700_000, i * 1000 + 50_000],
        duration: [0, 50_000],
        status: { code: 0 },
        attributes,
        links: [],
        events: [],
        resource,
        instrumentationScope: { name: 'daprkit-sidecar' },
        ended: true,
        droppedAttributesCount: 0,
        droppedEventsCount: 0,
        droppedLinksCount: 0,
      };
    }),
  );
}

/** Median CPU µs per span over `rounds` runs of every batch (after one warm-up run). */
export async function zipkinExporterCpuPerSpan(rounds = 3) {
  const [{ ZipkinExporter }, { resourceFromAttributes }] = await Promise.all([
    load('@opentelemetry/exporter-zipkin'),
    load('@opentelemetry/resources'),
  ]);
  const receiver = startReceiver();
  try {
    const exporter = new ZipkinExporter({ url: `http://127.0.0.1:${await receiver.port}/api/v2/spans` });
    const batches = spans(resourceFromAttributes({ 'service.name': 'bench-tracing' }));
    const exportAll = async () => {
      for (const batch of batches)
        await new Promise((resolve, reject) =>
          exporter.export(batch, (result) => (result.code === 0 ? resolve() : reject(result.error))),
        );
    };
    await exportAll();
    const samples = [];
    for (let round = 0; round < rounds; round++) {
      const before = process.cpuUsage();
      await exportAll();
      const used = process.cpuUsage(before);
      samples.push((used.user + used.system) / (BATCH * BATCHES));
    }
    await exporter.shutdown();
    return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)];
  } finally {
    receiver.stop();
  }
}
