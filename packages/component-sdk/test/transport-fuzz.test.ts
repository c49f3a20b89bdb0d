// Bounded, seeded fuzzing of the daprkit engine: HPACK blocks and whole HTTP/2 sessions (random bytes and
// mutations of a valid gRPC session) fed to the real connection code through an in-memory socket. Asserts: no
// exception escapes (a throw would crash the plugin process), every connection ends or keeps answering, no
// connection or stream is left behind, and the heap stays bounded. Plus RFC 7541 Appendix C vectors.
import { EventEmitter } from 'node:events';
import { defineComponent, type StateStore } from '@daprkit/component-sdk';
import { describe, expect, it } from 'vitest';
import { ServiceName, serviceDefinition } from '../src/server/proto.js';
import { GrpcServer, type MethodShape } from '../src/transport/grpc-server.js';
import { engineStats } from '../src/transport/h2.js';
import { encodeLiteral, HpackDecoder, HpackError } from '../src/transport/hpack.js';
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from '../src/transport/huffman-table.js';

const SEED = Number(process.env.DAPRKIT_FUZZ_SEED ?? 0x5eed);
const ITERATIONS = Number(process.env.DAPRKIT_FUZZ_ITERATIONS ?? 3000);

/** Mulberry32: small, seeded, reproducible. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256))),
  };
}

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function huffmanEncode(value: string): Buffer {
  let bits = 0n;
  let count = 0;
  for (const byte of Buffer.from(value, 'latin1')) {
    bits = (bits << BigInt(HUFFMAN_LENGTHS[byte]!)) | BigInt(HUFFMAN_CODES[byte]!);
    count += HUFFMAN_LENGTHS[byte]!;
  }
  const pad = (8 - (count % 8)) % 8;
  bits = (bits << BigInt(pad)) | ((1n << BigInt(pad)) - 1n);
  const out = Buffer.alloc((count + pad) / 8);
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = Number(bits & 0xffn);
    bits >>= 8n;
  }
  return out;
}

/** A literal with incremental indexing, new name, Huffman-coded value (exercises the table and Huffman). */
function indexedLiteral(name: string, value: string): Buffer {
  const v = huffmanEncode(value);
  if (name.length > 126 || v.length > 126) throw new Error('test helper handles short strings only');
  return Buffer.concat([
    Buffer.from([0x40, name.length]),
    Buffer.from(name, 'latin1'),
    Buffer.from([0x80 | v.length]),
    v,
  ]);
}

describe('HPACK decoder', () => {
  it('decodes the RFC 7541 C.4 request examples (Huffman, dynamic table across blocks)', () => {
    const d = new HpackDecoder({ maxTableSize: 4096, maxHeaderListSize: 1 << 20 });
    expect(d.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'))).toEqual([
      ':method',
      'GET',
      ':scheme',
      'http',
      ':path',
      '/',
      ':authority',
      'www.example.com',
    ]);
    expect(d.decode(hex('8286 84be 5886 a8eb 1064 9cbf'))).toEqual([
      ':method',
      'GET',
      ':scheme',
      'http',
      ':path',
      '/',
      ':authority',
      'www.example.com',
      'cache-control',
      'no-cache',
    ]);
    expect(d.decode(hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf'))).toEqual([
      ':method',
      'GET',
      ':scheme',
      'https',
      ':path',
      '/index.html',
      ':authority',
      'www.example.com',
      'custom-key',
      'custom-value',
    ]);
  });

  it('rejects bad Huffman padding, EOS, out-of-range indexes and oversized table updates', () => {
    const d = () => new HpackDecoder({ maxTableSize: 4096, maxHeaderListSize: 1 << 20 });
    expect(() => d().decode(hex('00 01 61 81 00'))).toThrow(HpackError); // padding of zeros
    expect(() => d().decode(hex('00 01 61 84 ff ff ff ff'))).toThrow(HpackError); // EOS inside
    expect(() => d().decode(hex('be'))).toThrow(HpackError); // index 62, empty dynamic table
    expect(() => d().decode(hex('80'))).toThrow(HpackError); // index 0
    expect(() => d().decode(hex('3fe21f'))).toThrow(HpackError); // size update 4097 > 4096
    expect(() => d().decode(hex('82 20'))).toThrow(HpackError); // size update after a field
    expect(() => d().decode(hex('ff ff ff ff ff ff'))).toThrow(HpackError); // integer overflow / truncated
  });

  it('random and mutated blocks only ever throw HpackError', () => {
    const r = rng(SEED);
    const seeds = [
      hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'),
      Buffer.concat([
        indexedLiteral('x-component-instance', 'statestore'),
        encodeLiteral('content-type', 'application/grpc'),
      ]),
    ];
    for (let i = 0; i < ITERATIONS * 3; i++) {
      const d = new HpackDecoder({ maxTableSize: 4096, maxHeaderListSize: 16 * 1024 });
      let input: Buffer;
      if (i % 2 === 0) input = r.bytes(r.int(64));
      else {
        input = Buffer.from(seeds[r.int(seeds.length)]!);
        for (let m = 0; m <= r.int(4); m++) input[r.int(input.length)] = r.int(256);
      }
      try {
        const out = d.decode(input);
        expect(out.length % 2).toBe(0);
      } catch (err) {
        if (!(err instanceof HpackError)) throw new Error(`input ${input.toString('hex')}: ${(err as Error).stack}`);
      }
    }
  });
});

/** The parts of net.Socket the connection uses, in memory. */
class MemorySocket extends EventEmitter {
  written: Buffer[] = [];
  writableLength = 0;
  destroyed = false;
  ended = false;
  setNoDelay() {}
  write(data: Buffer) {
    if (!this.destroyed) this.written.push(data);
    return true;
  }
  end() {
    this.ended = true;
    this.destroy();
  }
  destroy() {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('close');
  }
  feed(bytes: Buffer) {
    if (!this.destroyed) this.emit('data', bytes);
  }
}

const frame = (type: number, flags: number, stream: number, payload: Buffer) => {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
};

const store = (): StateStore => ({
  async init() {},
  features: () => [],
  async get({ key }) {
    return { data: Buffer.from(`v-${key}`) };
  },
  async set() {},
  async delete() {},
});

function fuzzServer() {
  const server = new GrpcServer({ maxMessageBytes: 1024 * 1024 });
  const definition = defineComponent({
    kind: 'state',
    socketName: 'fuzz',
    packageName: 'fuzz',
    version: '0',
    types: [],
    create: store,
  });
  const instance = definition.create({ instanceName: '', logger: undefined as never });
  const shapes = serviceDefinition(ServiceName.StateStore) as unknown as Record<string, MethodShape>;
  server.addService(shapes, {
    Get: (call: { request: { key: string } }, cb: (e: unknown, r?: unknown) => void) => {
      instance.get({ key: call.request.key, metadata: {} }).then((r) => cb(null, r ?? {}), cb);
    },
    Set: (_call: unknown, cb: (e: unknown, r?: unknown) => void) => cb(null, {}),
  });
  const accept = (socket: MemorySocket) => (server as unknown as { accept(s: MemorySocket): void }).accept(socket);
  return { server, accept };
}

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** A valid client session: preface, SETTINGS, a Get on stream 1 (Huffman + indexing), PING, SETTINGS ack. */
function validSession(key: string): Buffer[] {
  const get = serviceDefinition(ServiceName.StateStore).Get!;
  const message = get.requestSerialize({ key, metadata: {}, consistency: 0 });
  const grpc = Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message]);
  const headers = Buffer.concat([
    Buffer.from([0x83, 0x86]), // :method POST, :scheme http
    encodeLiteral(':path', get.path),
    indexedLiteral(':authority', 'localhost'),
    encodeLiteral('content-type', 'application/grpc'),
    encodeLiteral('te', 'trailers'),
    indexedLiteral('x-component-instance', 'fuzz'),
  ]);
  return [
    PREFACE,
    frame(4, 0, 0, Buffer.from([0, 4, 0, 0, 0xff, 0xff])),
    frame(1, 0x4, 1, headers),
    frame(0, 0x1, 1, grpc),
    frame(6, 0, 0, Buffer.alloc(8, 7)),
    frame(4, 1, 0, Buffer.alloc(0)),
  ];
}

async function settle() {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
}

describe('HTTP/2 + gRPC session fuzzing (in-memory sockets)', () => {
  it('answers the valid session with the value and grpc-status 0', async () => {
    const { accept } = fuzzServer();
    const socket = new MemorySocket();
    accept(socket);
    for (const part of validSession('k1')) socket.feed(part);
    await settle();
    const out = Buffer.concat(socket.written);
    expect(out.includes(Buffer.from('v-k1'))).toBe(true);
    expect(out.includes(Buffer.from('grpc-status'))).toBe(true);
    expect(socket.destroyed).toBe(false);
  });

  it(`survives ${ITERATIONS} random and mutated sessions (seed ${SEED}) with bounded memory`, async () => {
    const r = rng(SEED);
    const { server, accept } = fuzzServer();
    globalThis.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const sockets: MemorySocket[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      const socket = new MemorySocket();
      accept(socket);
      sockets.push(socket);
      const parts = validSession(`k${i}`);
      const mode = i % 4;
      if (mode === 0) {
        socket.feed(PREFACE);
        socket.feed(r.bytes(1 + r.int(256)));
      } else if (mode === 1) {
        // Mutate bytes of the session after the preface.
        const body = Buffer.concat(parts.slice(1));
        for (let m = 0; m <= r.int(6); m++) body[r.int(body.length)] = r.int(256);
        socket.feed(PREFACE);
        socket.feed(body);
      } else if (mode === 2) {
        // Valid frames with random types/flags/stream ids and random payloads.
        socket.feed(PREFACE);
        for (let f = 0; f < 1 + r.int(8); f++) {
          socket.feed(frame(r.int(12), r.int(256), r.int(8), r.bytes(r.int(40))));
        }
      } else {
        // The session split at random points (partial frames across reads), one frame truncated.
        const all = Buffer.concat(parts);
        const cut = r.int(all.length);
        let at = 0;
        while (at < all.length) {
          const n = 1 + r.int(64);
          socket.feed(all.subarray(at, Math.min(at + n, all.length, at >= cut ? all.length : cut)));
          at = Math.min(at + n, all.length, at >= cut ? all.length : cut);
        }
      }
      if (i % 50 === 0) await settle();
      // The peer goes away; everything must be released.
      if (r.int(2) === 0) socket.destroy();
    }
    await settle();
    for (const s of sockets) s.destroy();
    await settle();
    expect(server.connectionCount).toBe(0);
    // Every rejection was a protocol or compression error, never an exception from the engine itself.
    expect(engineStats.lastInternalError?.stack).toBeUndefined();
    expect(engineStats.internalErrors).toBe(0);
    globalThis.gc?.();
    const growth = process.memoryUsage().heapUsed - heapBefore;
    expect(growth).toBeLessThan(64 * 1024 * 1024);
    // Still serving after all of that.
    const socket = new MemorySocket();
    accept(socket);
    for (const part of validSession('after')) socket.feed(part);
    await settle();
    expect(Buffer.concat(socket.written).includes(Buffer.from('v-after'))).toBe(true);
  });
});
