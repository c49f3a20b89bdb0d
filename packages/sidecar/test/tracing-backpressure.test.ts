/**
 * The recording tracer bounds what waits for the span export thread: spans posted and not yet acked by the thread
 * count against the cap, so a thread that falls behind makes the sidecar drop spans (and say so), not queue them
 * without limit. A stand-in thread here holds every batch until told to ack them.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '@daprkit/component-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordingTracer } from '../src/observability/otel-tracer.js';

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
    const ignore = () => {};
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
