/**
 * The recording tracer: daprd's sampler (parent-based, TraceID ratio at samplingRate) and spans recorded as flat
 * records, posted in batches to the span export thread (span-export-worker.ts), where OpenTelemetry's JS SDK
 * batches and exports them (OTLP gRPC/HTTP, Zipkin, stdout). Encoding and sending spans is most of what tracing
 * costs at samplingRate 1; there it is off the API's event loop. Only ever loaded by tracing.ts through a dynamic
 * import, so a sidecar without an exporter never starts the thread nor loads the SDK.
 */
import { SHARE_ENV, Worker } from 'node:worker_threads';
import type { Logger } from '@daprkit/component-sdk';
import { VERSION } from '../version.js';
import type { HttpSpanFields } from './http-span-attributes.js';
import type { ExportThreadData, FromExportThread, SpanRecord, ToExportThread } from './span-export-worker.js';
import type { TraceContext } from './trace-context.js';
import { propagatedSpan, type SpanKind, type Tracer, type TraceSpan } from './tracing.js';
import type { TracingConfig } from './tracing-config.js';

/** OpenTelemetry's SpanKind numbers (the SDK is not loaded on this thread). */
const KINDS: Record<SpanKind, number> = { internal: 0, server: 1, client: 2, producer: 3, consumer: 4 };

/**
 * Spans posted to the export thread at once at most; a partial batch goes after BATCH_DELAY_MS. 256 keeps a
 * batch's JSON (~0.5 KiB a span) under 128 KiB, where V8 and malloc stop allocating each string and message buffer
 * with pages of its own: posting costs ~3× less per span than with batches of 512.
 */
const BATCH_SIZE = 256;
const BATCH_DELAY_MS = 50;
/**
 * Spans posted but not yet taken by the export thread, plus those batched here, at most: the thread acks each batch
 * it has handed to the SDK's processors (whose queue is bounded too), so a thread that falls behind cannot grow
 * its port's queue without limit. Beyond it spans are dropped and counted, and the count logged once a minute.
 */
const MAX_PENDING = 16_384;
const DROP_LOG_INTERVAL_MS = 60_000;
/**
 * Attribute keys numbered at most; later ones go by name. Keys are mostly our own constants, but `dapr-*` request
 * headers become attributes too, so a client could otherwise grow the table without limit.
 */
const MAX_KEYS = 1024;

/**
 * Attribute keys by number: a span's attributes travel as [key number, value, …], which JSON-encodes in about half
 * the time of an object with the keys spelled out; each batch carries the keys numbered since the last one.
 */
class AttributeKeys {
  private readonly ids = new Map<string, number>();
  private fresh: string[] = [];

  id(key: string): number | string {
    const id = this.ids.get(key);
    if (id !== undefined) return id;
    if (this.ids.size >= MAX_KEYS) return key;
    this.ids.set(key, this.ids.size);
    this.fresh.push(key);
    return this.ids.size - 1;
  }

  /** The keys numbered since the last call, for the next batch; undefined when none. */
  take(): string[] | undefined {
    if (this.fresh.length === 0) return undefined;
    const keys = this.fresh;
    this.fresh = [];
    return keys;
  }
}

/**
 * The wall clock from `performance.now()`: an epoch anchor re-read from `Date.now()` at most once a second, so
 * times stay monotonic within a span and follow the wall clock.
 */
class Clock {
  private anchorMs = 0;
  private anchoredAt = -Infinity;

  /** `performance.now()`; `anchor()` + it is the epoch time in ms. */
  now(): number {
    const t = performance.now();
    if (t - this.anchoredAt > 1000) {
      this.anchoredAt = t;
      this.anchorMs = Date.now() - t;
    }
    return t;
  }

  anchor(): number {
    return this.anchorMs;
  }
}

/**
 * A sampled span: at once our TraceSpan and its own TraceContext, attributes as numbered-key pairs (daprd's are
 * strings), times as `performance.now()` readings. On end it becomes a SpanRecord for the export thread.
 */
class RecordedSpan implements TraceSpan, TraceContext {
  readonly recording = true;
  readonly flags = 1;
  readonly traceId: string;
  readonly spanId: string;
  readonly tracestate: string;
  private readonly attributes: Array<number | string> = [];
  private ended = false;
  private readonly startMs: number;
  private readonly anchorMs: number;

  constructor(
    private readonly owner: RecordingTracer,
    private name: string,
    private readonly kind: number,
    context: TraceContext,
    private readonly parent: TraceContext | undefined,
  ) {
    this.traceId = context.traceId;
    this.spanId = context.spanId;
    this.tracestate = context.tracestate;
    this.startMs = owner.clock.now();
    this.anchorMs = owner.clock.anchor();
  }

  get context(): TraceContext {
    return this;
  }

  setName(name: string): void {
    if (!this.ended) this.name = name;
  }

  setAttribute(key: string, value: string): void {
    if (value !== '' && !this.ended) this.attributes.push(this.owner.keys.id(key), value);
  }

  end(error?: string): void {
    this.finish(error, null);
  }

  endHttp(fields: HttpSpanFields, error?: string): void {
    this.finish(error, fields);
  }

  private finish(error: string | undefined, http: HttpSpanFields | null): void {
    if (this.ended) return;
    this.ended = true;
    const parent = this.parent;
    this.owner.record([
      this.traceId,
      this.spanId,
      this.tracestate,
      parent === undefined ? '' : parent.spanId,
      parent === undefined ? 0 : parent.flags,
      this.name,
      this.kind,
      this.anchorMs + this.startMs,
      performance.now() - this.startMs,
      error ?? null,
      this.attributes,
      http,
    ]);
  }
}

/** Settles a flush or shutdown request once the export thread answers. */
interface Pending {
  resolve(): void;
  reject(error: Error): void;
}

/**
 * Records sampled spans (daprd's parent-based ratio sampler, as PropagatingTracer) for the export thread.
 * Exported for tests, which drive it with a thread of their own.
 */
export class RecordingTracer implements Tracer {
  readonly clock = new Clock();
  readonly keys = new AttributeKeys();
  private batch: SpanRecord[] = [];
  /** Spans posted to the export thread that it has not acked yet. */
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Set once the export thread is gone: then spans are dropped and flushes settle at once. */
  private failure: Error | undefined;
  private dropped = 0;
  private lastDropLog = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly ratio: number,
    private readonly worker: Worker,
    private readonly logger: Logger,
  ) {
    worker.on('message', (message: FromExportThread) => this.receive(message));
    const gone = (error: Error) => {
      if (this.failure) return;
      this.failure = error;
      this.batch = [];
      this.logger.warn('tracing: span export thread failed; spans dropped', { error: error.message });
      for (const { reject } of this.pending.values()) reject(error);
      this.pending.clear();
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(new Error(`tracing: span export thread exited (code ${code})`)));
  }

  startSpan(name: string, kind: SpanKind, parent: TraceContext | undefined): TraceSpan {
    const propagated = propagatedSpan(parent, this.ratio);
    if (propagated.context.flags === 0) return propagated;
    return new RecordedSpan(this, name, KINDS[kind], propagated.context, parent);
  }

  record(span: SpanRecord): void {
    if (this.failure) return;
    if (this.inFlight + this.batch.length >= MAX_PENDING) {
      this.drop();
      return;
    }
    this.batch.push(span);
    if (this.batch.length >= BATCH_SIZE) this.post();
    else this.timer ??= setTimeout(() => this.post(), BATCH_DELAY_MS).unref();
  }

  /** Rejects with the export thread's first processor error, as an Error. */
  flush(): Promise<void> {
    return this.request('flush');
  }

  async shutdown(): Promise<void> {
    try {
      await this.request('shutdown');
    } catch (error) {
      if (error !== this.failure)
        this.logger.warn('tracing: exporter shutdown failed', { error: (error as Error).message });
    } finally {
      this.failure ??= new Error('tracing: shut down');
      await this.worker.terminate();
    }
  }

  private post(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.batch.length === 0 || this.failure) return;
    // One JSON string per batch: cloning a string for the thread is a copy, while cloning the records as objects
    // costs several times what JSON.stringify does.
    const spans = JSON.stringify(this.batch);
    this.inFlight += this.batch.length;
    this.batch = [];
    this.send({ type: 'spans', spans, keys: this.keys.take() });
  }

  private request(type: 'flush' | 'shutdown'): Promise<void> {
    this.post();
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    // Held while the thread works on it: an unref'd thread alone would not keep the process waiting.
    this.worker.ref();
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ type, id });
    }).finally(() => {
      if (this.pending.size === 0) this.worker.unref();
    });
  }

  private send(message: ToExportThread): void {
    this.worker.postMessage(message);
  }

  private receive(message: FromExportThread): void {
    if (message.type === 'taken') {
      this.inFlight -= message.count;
    } else if (message.type === 'log') {
      this.logger[message.level](message.msg, message.fields);
    } else if (message.type === 'done') {
      const pending = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error === undefined) pending?.resolve();
      else pending?.reject(new Error(message.error));
    }
  }

  private drop(): void {
    this.dropped += 1;
    const now = Date.now();
    if (now - this.lastDropLog < DROP_LOG_INTERVAL_MS) return;
    this.logger.warn('tracing: span export thread behind; spans dropped', { spans: this.dropped });
    this.lastDropLog = now;
    this.dropped = 0;
  }
}

/** The export thread's module: built JavaScript, also when this file runs from source (tests). */
function workerUrl(): URL {
  return import.meta.url.endsWith('.ts')
    ? new URL('../../dist/observability/span-export-worker.js', import.meta.url)
    : new URL('./span-export-worker.js', import.meta.url);
}

/**
 * This process's Node flags (--import hooks, --require, memory limits) for the thread too, but not those about
 * the main entry point, which a worker refuses (`--input-type` of `node --input-type=module -e …`).
 */
function threadExecArgv(): string[] {
  const argv: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const arg = process.execArgv[i]!;
    if (arg === '--input-type') i++;
    else if (!arg.startsWith('--input-type=')) argv.push(arg);
  }
  return argv;
}

/** Starts the export thread; rejects with its start-up error (an exporter module that cannot load, say). */
export async function createOtelTracer(config: TracingConfig, serviceName: string, logger: Logger): Promise<Tracer> {
  const workerData: ExportThreadData = { config, serviceName, version: VERSION };
  // SHARE_ENV: the exporters read OTEL_* variables as this process sees them, also ones set at run time.
  const worker = new Worker(workerUrl(), {
    workerData,
    env: SHARE_ENV,
    execArgv: threadExecArgv(),
    name: 'daprkit span export',
  });
  await new Promise<void>((resolve, reject) => {
    const onMessage = (message: FromExportThread) => {
      if (message.type !== 'ready') return;
      cleanup();
      resolve();
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onExit = (code: number) =>
      onError(new Error(`tracing: span export thread exited (code ${code}) at start-up`));
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
  worker.unref();
  return new RecordingTracer(config.samplingRate, worker, logger);
}
