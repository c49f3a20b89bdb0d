import type { ClientDuplexStream, ServiceError, StatusObject } from '@grpc/grpc-js';
import { type DaprkitError, ErrorCode } from '../errors.js';
import type { ServiceName } from '../server/proto.js';
import type { Logger, Metadata } from '../v1/common.js';
import { silentLogger } from '../v1/common.js';
import { type ClientTransport, RemoteChannel, resolveClientTransport } from './channel.js';
import { decodeStatusError, KIT_ONLY, RAW, STATE_BULK_DELETE, STATE_WRITE, type StatusRules } from './status.js';

export interface RemoteOptions {
  socketPath: string;
  /** The YAML `metadata.name` daprd would send as `x-component-instance` (`''` = default instance). */
  instanceName: string;
  /** Deadline per unary call; none by default (daprd sets none on Init). */
  timeoutMs?: number;
  /** Where stream failures are reported (a subscription or Read stream ended by the server). */
  logger?: Logger;
  /**
   * Pub/sub: run the handler for every message as it arrives instead of one at a time. daprd handles a
   * PullMessages stream serially (the default here); a component that hands out several messages at once (e.g.
   * pubsub-redis's `concurrency`) then gets the same parallelism over the socket as in process.
   */
  deliverConcurrently?: boolean;
  /** The gRPC engine of this client: 'daprkit' or 'grpc-js'; default DAPRKIT_CLIENT_TRANSPORT, else 'daprkit'. */
  transport?: ClientTransport;
}

const decoderFor =
  (rules: StatusRules) =>
  (error: ServiceError): DaprkitError =>
    decodeStatusError(error, rules);

/** Error decoders per daprd interpretation, built once. */
export const Decode = {
  raw: decoderFor(RAW),
  kit: decoderFor(KIT_ONLY),
  stateWrite: decoderFor(STATE_WRITE),
  stateBulkDelete: decoderFor(STATE_BULK_DELETE),
} as const;

/**
 * The plugin answered "this instance was never initialised": it restarted since our Init (daprkit servers say
 * "instance '<name>' is not initialised … (call Init first)"). Nothing ran, so Init and a retry are safe.
 */
function isInstanceLost(error: { code?: number; message?: string; details?: string }): boolean {
  return (
    error.code === ErrorCode.FailedPrecondition &&
    /not initiali[sz]ed|call Init first/i.test(error.details ?? error.message ?? '')
  );
}

/** Statuses that describe the request, not the moment: a reopened stream would get the same answer. */
const FINAL_STREAM_CODES: ReadonlySet<number> = new Set([
  ErrorCode.InvalidArgument,
  ErrorCode.NotFound,
  ErrorCode.AlreadyExists,
  ErrorCode.PermissionDenied,
  ErrorCode.Unimplemented,
  ErrorCode.Unauthenticated,
  ErrorCode.OutOfRange,
]);
const isFinal = (status: StatusObject) =>
  FINAL_STREAM_CODES.has(status.code) || (status.code === ErrorCode.FailedPrecondition && !isInstanceLost(status));

// A local socket: trying again costs a failed connect(2). The cap keeps a restarted plugin's downtime plus at
// most a quarter second (it was 2 s, which made recovery take 3–5 s after a plugin restart).
const STREAM_RETRY_FIRST_MS = 50;
const STREAM_RETRY_MAX_MS = 250;
const UNAVAILABLE = 14;

/**
 * Shared plumbing of the remote components: one channel per object, closed by `close()`. Survives a restart of the
 * plugin process: a call refused because the instance is unknown re-sends Init (once for all callers) and is
 * retried; streams are reopened with backoff. daprd does neither; without it a restarted plugin would leave the
 * component failing until the sidecar restarts.
 */
export abstract class RemoteComponent {
  protected readonly channel: RemoteChannel;
  protected readonly logger: Logger;
  private initialised: { service: ServiceName; properties: Metadata } | undefined;
  /** Bumped by every successful Init: a call that failed on an older generation just retries. */
  private generation = 0;
  private restoring: Promise<void> | undefined;
  private closed = false;
  /** Since when the plugin has been unreachable (UNAVAILABLE); undefined while it answers. */
  private downSince: number | undefined;

  constructor(protected readonly options: RemoteOptions) {
    this.channel = new RemoteChannel(
      options.socketPath,
      options.instanceName,
      options.timeoutMs,
      resolveClientTransport(options.transport),
    );
    this.logger = options.logger ?? silentLogger;
  }

  /** Sends Init and remembers it, so the instance can be restored on a restarted plugin. */
  protected async initInstance(service: ServiceName, properties: Metadata): Promise<void> {
    await this.channel.unary(service, 'Init', { metadata: { properties } }, Decode.raw);
    this.initialised = { service, properties };
    this.generation++;
  }

  protected async call<Req, Res>(
    service: ServiceName,
    method: string,
    request: Req,
    decode = Decode.raw,
  ): Promise<Res> {
    const generation = this.generation;
    try {
      const response = await this.channel.unary<Req, Res>(service, method, request, decode);
      if (this.downSince !== undefined) this.markUp();
      return response;
    } catch (error) {
      if ((error as DaprkitError).code === UNAVAILABLE) this.markDown(error as DaprkitError);
      if (this.initialised === undefined || !isInstanceLost(error as DaprkitError)) throw error;
      await this.restoreInstance(generation);
      const response = await this.channel.unary<Req, Res>(service, method, request, decode);
      this.markUp();
      return response;
    }
  }

  /** First UNAVAILABLE after a good spell: say so once (the plugin died or is restarting). */
  private markDown(error: { details?: string; message?: string }): void {
    if (this.downSince !== undefined || this.closed) return;
    this.downSince = Date.now();
    this.logger.warn('pluggable component is unreachable (stopped or restarting?); retrying', {
      socket: this.options.socketPath,
      component: this.options.instanceName,
      error: error.details ?? error.message,
    });
  }

  private markUp(): void {
    if (this.downSince === undefined) return;
    const downMs = Date.now() - this.downSince;
    this.downSince = undefined;
    this.logger.info('pluggable component is reachable again', {
      socket: this.options.socketPath,
      component: this.options.instanceName,
      downMs,
    });
  }

  private restoreInstance(failedGeneration: number): Promise<void> {
    if (this.generation !== failedGeneration) return Promise.resolve();
    this.restoring ??= (async () => {
      const { service, properties } = this.initialised!;
      try {
        await this.channel.unary(service, 'Init', { metadata: { properties } }, Decode.raw);
        this.generation++;
        this.markUp();
        this.logger.warn('component plugin lost this instance (restarted?); re-initialised it', {
          socket: this.options.socketPath,
          component: this.options.instanceName,
        });
      } finally {
        this.restoring = undefined;
      }
    })();
    return this.restoring;
  }

  /**
   * Keeps a server stream open until `signal` aborts: `open()` starts one (wiring its handlers); when it ends for
   * any other reason it is reopened with backoff, after restoring the instance if the plugin lost it. Resolves
   * with the first stream's `ready` (e.g. its first write); if that fails the supervision stops and it rejects.
   */
  protected superviseStream<S extends ClientDuplexStream<never, unknown>>(
    what: string,
    open: () => { stream: S; ready?: Promise<void> },
    signal: AbortSignal,
  ): Promise<void> {
    let delay = STREAM_RETRY_FIRST_MS;
    let current: S | undefined;
    const cancel = () => current?.cancel();
    signal.addEventListener('abort', cancel, { once: true });
    const stopped = () => signal.aborted || this.closed;
    const start = (): Promise<void> | undefined => {
      const generation = this.generation;
      const { stream, ready } = open();
      current = stream;
      stream.on('error', () => {}); // the outcome is read from 'status', which always follows
      stream.on('data', () => {
        delay = STREAM_RETRY_FIRST_MS;
      });
      stream.on('status', (status: StatusObject) => {
        if (stopped()) return signal.removeEventListener('abort', cancel);
        if (isFinal(status)) {
          // The component refused the stream itself (a bad topic, no such RPC): asking again cannot help.
          this.logger.warn(`${what} stream refused; not reopening`, { code: status.code, error: status.details });
          return signal.removeEventListener('abort', cancel);
        }
        if (status.code === UNAVAILABLE) this.markDown(status);
        else if (this.downSince === undefined)
          this.logger.warn(`${what} stream ended; reopening`, { code: status.code, error: status.details });
        void this.reopenAfter(status, generation, delay, start, stopped);
        delay = Math.min(delay * 2, STREAM_RETRY_MAX_MS);
      });
      return ready;
    };
    const ready = start();
    return (ready ?? Promise.resolve()).catch((err: unknown) => {
      signal.removeEventListener('abort', cancel);
      current?.cancel();
      throw err;
    });
  }

  private async reopenAfter(
    status: StatusObject,
    generation: number,
    delayMs: number,
    start: () => Promise<void> | undefined,
    stopped: () => boolean,
  ): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, delayMs * (0.8 + Math.random() * 0.4)).unref());
    if (stopped()) return;
    if (this.downSince !== undefined && this.initialised !== undefined) {
      // Ask with a Ping before reopening: its status says whether the plugin is back (a stream write does not),
      // and `call` re-Inits a lost instance on the way.
      try {
        await this.call(this.initialised.service, 'Ping', {});
      } catch (err) {
        const next = Math.min(delayMs * 2, STREAM_RETRY_MAX_MS);
        return this.reopenAfter(err as StatusObject, generation, next, start, stopped);
      }
    } else if (isInstanceLost(status)) {
      try {
        await this.restoreInstance(generation);
      } catch (err) {
        this.logger.warn('re-initialising the instance failed; will retry', { error: (err as Error).message });
      }
    }
    // A failed first write surfaces as the stream's status and lands here again.
    start()?.catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    this.channel.close();
  }
}
