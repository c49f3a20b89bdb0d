/**
 * The delivery side of PullMessages (§6.5) and Read (§7.3): each message gets a fresh id, and the handler's
 * promise settles when the peer acknowledges that id. When the stream goes away, the component's signal
 * aborts and every unacknowledged message is rejected, so the component redelivers it (at-least-once).
 */
import { randomUUID } from 'node:crypto';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { Logger } from '../v1/common.js';
import { toServiceError } from './status.js';

interface Pending<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

/** The set of open streams of one socket, ended on shutdown. */
export type StreamRegistry = Set<AckingStream<unknown, unknown>>;

export class AckingStream<Out, Ack> {
  private readonly controller = new AbortController();
  private readonly pending = new Map<string, Pending<Ack>>();
  private drained: Promise<void> | undefined;
  private releaseDrain: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly call: ServerDuplexStream<unknown, Out>,
    private readonly label: string,
    private readonly logger: Logger,
    private readonly registry: StreamRegistry,
  ) {
    registry.add(this as AckingStream<unknown, unknown>);
    const onGone = (reason: string) => () => this.close(reason);
    call.on('cancelled', onGone('cancelled by the client'));
    call.on('close', onGone('closed'));
    // grpc-js reports write/transport failures here; without a listener they would crash the process.
    call.on('error', (err: Error) => this.close(`failed: ${err.message}`));
    // The client half-closed: no acks can arrive any more, so finish the call as well.
    call.on('end', () => {
      this.close('ended by the client');
      if (!call.cancelled) call.end();
    });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * Writes one message built around a fresh id and resolves with the peer's acknowledgement. Waits for
   * 'drain' when the transport is saturated, so a fast producer cannot buffer without bound.
   */
  async deliver(build: (id: string) => Out): Promise<Ack> {
    while (this.drained !== undefined) await this.drained;
    if (this.closed) throw new Error(`${this.label} stream is closed; the message was not delivered`);
    const id = randomUUID();
    const acknowledged = new Promise<Ack>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    if (!this.call.write(build(id))) this.waitForDrain();
    return acknowledged;
  }

  /** Applies the peer's answer for `id`; unknown ids (e.g. acked twice) are only logged. */
  settle(id: string, outcome: { ok: true; value: Ack } | { ok: false; message: string }): void {
    const entry = this.pending.get(id);
    if (entry === undefined) {
      this.logger.debug(`${this.label}: ignoring acknowledgement for an unknown message id`, { id });
      return;
    }
    this.pending.delete(id);
    if (outcome.ok) entry.resolve(outcome.value);
    else entry.reject(new Error(outcome.message || 'negative acknowledgement'));
  }

  /** Ends the call with the status for `error` (only for a bad first message, a failed start, or shutdown). */
  fail(error: unknown): void {
    if (this.closed) return;
    this.close(`ended by the server: ${error instanceof Error ? error.message : String(error)}`);
    this.call.emit('error', toServiceError(error));
  }

  /** Idempotent teardown: abort the component's signal and reject every unacknowledged message. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.registry.delete(this as AckingStream<unknown, unknown>);
    this.controller.abort(new Error(`${this.label} stream ${reason}`));
    const pending = [...this.pending.values()];
    this.pending.clear();
    const error = new Error(`${this.label} stream ${reason} before the message was acknowledged`);
    for (const entry of pending) entry.reject(error);
    this.releaseDrain?.();
    this.logger.debug(`${this.label} stream ${reason}`, { unacknowledged: pending.length });
  }

  private waitForDrain(): void {
    if (this.drained !== undefined) return;
    this.drained = new Promise<void>((resolve) => {
      const release = () => {
        this.call.off('drain', release);
        this.drained = undefined;
        this.releaseDrain = undefined;
        resolve();
      };
      this.releaseDrain = release;
      this.call.on('drain', release);
    });
  }
}

/** Runs a component's start method so that a synchronous throw becomes a rejection too. */
export function startSafely(start: () => Promise<void>): Promise<void> {
  try {
    return Promise.resolve(start());
  } catch (err) {
    return Promise.reject(err);
  }
}
