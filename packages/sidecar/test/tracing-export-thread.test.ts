/**
 * The hand-off between the recording tracer and the span export thread:
 * - it bounds what waits for the thread: spans posted and not yet acked count against the cap, so a thread that
 *   falls behind makes the sidecar drop spans (and say so), not queue them without limit (a stand-in thread here
 *   holds every batch until told to ack them);
 * - attribute keys travel as numbers from a bounded table: through the real thread and its Zipkin exporter, into a
 *   local receiver, every attribute arrives by name, also past the table's size and when a key is set twice.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import type { Logger } from '@daprkit/component-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { createOtelTracer, RecordingTracer } from '../src/observability/otel-tracer.js';
import { parseTracingConfig } from '../src/observability/tracing-config.js';
import { ensureSidecarBuilt } from './support.js';

/** Counts the spans it is sent; on `{ type: 'release' }` acks every batch held so far and reports the total. */
const STALLED_THREAD = `
const { parentPort } = require('node:worker_threads');
const held = [];
let received = 0;
parentPort.on('message', (message) => {
  if (message.type === 'spans') {
    const count = JSON.parse(message.spans).length;
    received += count;
    held.push(count);
  } else if (message.type === 'release') {
    for (const count of held.splice(0)) parentPort.postMessage({ type: 'taken', count });
    parentPort.postMessage({ type: 'received', received });
  }
});
`;

const CAP = 16_384;
const ignore = () => {};
const silent: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
const SAMPLED = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', flags: 1, tracestate: '' };

let worker: Worker | undefined;
afterEach(async () => {
  await worker?.terminate();
  worker = undefined;
});

function received(thread: Worker): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (message: { type: string; received?: number }) => {
      if (message.type !== 'received') return;
      thread.off('message', onMessage);
      resolve(message.received!);
    };
    thread.on('message', onMessage);
    thread.postMessage({ type: 'release' });
  });
}

function endSpans(tracer: RecordingTracer, count: number): void {
  for (let i = 0; i < count; i++) tracer.startSpan('SaveState', 'server', SAMPLED).end();
}

describe('span export back-pressure', () => {
  it('drops spans beyond the cap while the thread has not taken them, and records again once it has', async () => {
    worker = new Worker(STALLED_THREAD, { eval: true });
    const warnings: Array<{ message: string; fields?: Record<string, unknown> }> = [];
    const logger: Logger = {
      debug: ignore,
      info: ignore,
      error: ignore,
      warn: (message, fields) => warnings.push({ message, fields }),
    };
    const tracer = new RecordingTracer(1, worker, logger);

    endSpans(tracer, CAP + 5_000);
    expect(await received(worker)).toBe(CAP);
    expect(warnings).toEqual([{ message: 'tracing: span export thread behind; spans dropped', fields: { spans: 1 } }]);

    // Acked: the thread has room again, and every new span reaches it.
    endSpans(tracer, 1_024);
    expect(await received(worker)).toBe(CAP + 1_024);
  });
});

describe('span attributes through the export thread', () => {
  it('arrive by name past the numbered-key table, the last value of a key winning', async () => {
    await ensureSidecarBuilt(); // the thread runs the built span-export-worker.js
    const bodies: string[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = receiver.address() as AddressInfo;
      const config = parseTracingConfig({
        tracing: { samplingRate: '1', zipkin: { endpointAddress: `http://127.0.0.1:${port}/api/v2/spans` } },
      });
      const tracer = await createOtelTracer(config, 'attrs-test', silent);
      try {
        // 1,500 distinct keys over three spans: past the 1,024 numbered ones, the rest go by name.
        for (let s = 0; s < 3; s++) {
          const span = tracer.startSpan(`span-${s}`, 'client', undefined);
          for (let k = 0; k < 500; k++) span.setAttribute(`key-${s * 500 + k}`, `value-${s}-${k}`);
          span.setAttribute('dapr.api', 'first');
          span.setAttribute('dapr.api', `last-${s}`);
          span.end();
        }
        await tracer.flush();
      } finally {
        await tracer.shutdown();
      }
      const spans = bodies.flatMap((body) => JSON.parse(body) as Array<{ name: string; tags: Record<string, string> }>);
      expect(spans.map((span) => span.name).sort()).toEqual(['span-0', 'span-1', 'span-2']);
      for (const span of spans) {
        const s = Number(span.name.slice('span-'.length));
        expect(span.tags['dapr.api']).toBe(`last-${s}`);
        for (let k = 0; k < 500; k++) expect(span.tags[`key-${s * 500 + k}`]).toBe(`value-${s}-${k}`);
      }
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});
