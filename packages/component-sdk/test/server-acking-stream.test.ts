// The delivery machinery behind PullMessages/Read, driven through a stand-in call to observe backpressure.
import { EventEmitter } from 'node:events';
import { silentLogger } from '@daprkit/component-sdk';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { AckingStream } from '../src/server/acking-stream.js';

/** Records writes and reports a saturated transport once `capacity` writes are buffered. */
class FakeCall extends EventEmitter {
  readonly written: { id: string }[] = [];
  constructor(private capacity: number) {
    super();
  }
  write(message: { id: string }): boolean {
    this.written.push(message);
    return this.written.length < this.capacity;
  }
  drain(extra: number) {
    this.capacity += extra;
    this.emit('drain');
  }
  end() {}
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

function setup(capacity: number) {
  const call = new FakeCall(capacity);
  const registry = new Set<AckingStream<unknown, unknown>>();
  const stream = new AckingStream<{ id: string }, string>(
    call as unknown as ServerDuplexStream<unknown, { id: string }>,
    'Test',
    silentLogger,
    registry,
  );
  return { call, stream, registry };
}

describe('AckingStream', () => {
  it('stops writing when the transport is saturated and resumes on drain', async () => {
    const { call, stream } = setup(3);
    const deliveries = Array.from({ length: 10 }, () => stream.deliver((id) => ({ id })).catch(() => 'rejected'));
    await flush();
    expect(call.written).toHaveLength(3);
    call.drain(4);
    await flush();
    expect(call.written).toHaveLength(7);
    call.drain(10);
    await flush();
    expect(call.written).toHaveLength(10);
    for (const { id } of call.written) stream.settle(id, { ok: true, value: `ack ${id}` });
    expect(await Promise.all(deliveries)).toEqual(call.written.map(({ id }) => `ack ${id}`));
  });

  it('close() rejects delivered and waiting messages, aborts the signal and leaves the registry', async () => {
    const { call, stream, registry } = setup(1);
    const first = stream.deliver((id) => ({ id })).catch((e: Error) => e.message);
    const waiting = stream.deliver((id) => ({ id })).catch((e: Error) => e.message);
    await flush();
    expect(call.written).toHaveLength(1);
    expect(registry.size).toBe(1);
    call.emit('cancelled');
    expect(stream.signal.aborted).toBe(true);
    expect(registry.size).toBe(0);
    expect(await first).toBe('Test stream cancelled by the client before the message was acknowledged');
    expect(await waiting).toBe('Test stream is closed; the message was not delivered');
    expect(call.written).toHaveLength(1);
  });

  it('settles by id in any order and rejects on a negative ack with its message', async () => {
    const { call, stream } = setup(100);
    const a = stream.deliver((id) => ({ id }));
    const b = stream.deliver((id) => ({ id })).catch((e: Error) => e.message);
    await flush();
    const [idA, idB] = call.written.map((m) => m.id);
    stream.settle(idB!, { ok: false, message: 'nope' });
    stream.settle(idA!, { ok: true, value: 'fine' });
    expect(await b).toBe('nope');
    expect(await a).toBe('fine');
  });
});
