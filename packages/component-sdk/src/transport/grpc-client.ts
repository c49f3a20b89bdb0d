/**
 * The client side of the daprkit engine: one HTTP/2 connection to a unix socket (daprd holds one per component
 * instance), unary calls and bidi streams with grpc-js-shaped results (ServiceError-like errors with
 * `code`/`details`/`metadata`, duplex calls emitting 'data'/'error'/'status'), so src/client uses either engine.
 *
 * Connections are made lazily and remade after a failure: calls fail fast with UNAVAILABLE while the server is
 * down (as grpc-js without wait-for-ready) and the next call reconnects.
 */
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { CallMetadata } from './grpc-server.js';
import { encodeLiteral, HpackDecoder, HpackError } from './hpack.js';

const DATA = 0x0;
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const PING = 0x6;
const GOAWAY = 0x7;
const WINDOW_UPDATE = 0x8;
const CONTINUATION = 0x9;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY_FLAG = 0x20;
const MAX_WINDOW = 0x7fffffff;

const OK = 0;
const CANCELLED = 1;
const UNKNOWN = 2;
const DEADLINE_EXCEEDED = 4;
const RESOURCE_EXHAUSTED = 8;
const INTERNAL = 13;
const UNAVAILABLE = 14;

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const STREAM_WINDOW = 1 << 20;
const CONNECTION_WINDOW = 16 << 20;

export interface StatusObject {
  code: number;
  details: string;
  metadata: CallMetadata;
}

export interface ClientError extends Error {
  code: number;
  details: string;
  metadata: CallMetadata;
}

function statusError(status: StatusObject): ClientError {
  const error = new Error(`${status.code} ${codeName(status.code)}: ${status.details}`) as ClientError;
  error.code = status.code;
  error.details = status.details;
  error.metadata = status.metadata;
  return error;
}

/** gRPC status code names by number (the one table: client errors, plugin metrics, the sidecar's metrics). */
export const GRPC_STATUS_NAMES: readonly string[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];
const codeName = (code: number) => GRPC_STATUS_NAMES[code] ?? 'UNKNOWN';
const EMPTY_METADATA = new CallMetadata([]);

function frameHeader(length: number, type: number, flags: number, streamId: number): Buffer {
  const b = Buffer.allocUnsafe(9);
  b[0] = (length >>> 16) & 0xff;
  b[1] = (length >>> 8) & 0xff;
  b[2] = length & 0xff;
  b[3] = type;
  b[4] = flags;
  b.writeUInt32BE(streamId & MAX_WINDOW, 5);
  return b;
}
const u32 = (value: number): Buffer => {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(value >>> 0, 0);
  return b;
};

/** gRPC percent-decoding of grpc-message. */
function decodeGrpcMessage(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** HTTP status → gRPC code when a response is not gRPC (gRPC's http-grpc-status-mapping). */
function httpToGrpc(status: number): number {
  if (status === 400) return INTERNAL;
  if (status === 401) return 16;
  if (status === 403) return 7;
  if (status === 404) return 12;
  if (status === 429 || status === 502 || status === 503 || status === 504) return UNAVAILABLE;
  return UNKNOWN;
}

/** One call's transport state on the connection. */
class ClientStream {
  sendWindow: number;
  private recvConsumed = 0;
  private pending: Buffer[] = [];
  private pendingOffset = 0;
  pendingBytes = 0;
  private endAfterPending = false;
  localEnded = false;
  remoteEnded = false;
  closed = false;
  gotHeaders = false;
  httpStatus = 0;
  grpcResponse = false;
  // message framing
  private readonly prefix = Buffer.allocUnsafe(5);
  private prefixFill = 0;
  private expected = -1;
  private have = 0;
  private partial: Buffer | undefined;
  onMessage: (bytes: Buffer) => void = () => {};
  onStatus: (status: StatusObject) => void = () => {};
  onWritten: (() => void)[] = [];
  finished = false;

  constructor(
    readonly id: number,
    private readonly conn: ClientConnection,
    private readonly maxMessageBytes: number,
  ) {
    this.sendWindow = conn.peerInitialWindow;
  }

  write(payload: Buffer, done?: () => void): void {
    if (this.closed || this.localEnded || this.endAfterPending) return;
    this.pending.push(payload);
    this.pendingBytes += payload.length;
    if (done) this.onWritten.push(done);
    this.flush();
  }

  endWrites(): void {
    if (this.closed || this.localEnded) return;
    this.endAfterPending = true;
    this.flush();
  }

  flush(): void {
    const conn = this.conn;
    while (this.pending.length > 0) {
      const chunk = this.pending[0]!;
      const left = chunk.length - this.pendingOffset;
      if (left === 0) {
        this.pending.shift();
        this.pendingOffset = 0;
        continue;
      }
      const allowed = Math.min(left, this.sendWindow, conn.sendWindow, conn.peerMaxFrameSize);
      if (allowed <= 0) {
        conn.blocked.add(this);
        return;
      }
      const part =
        this.pendingOffset === 0 && allowed === chunk.length
          ? chunk
          : chunk.subarray(this.pendingOffset, this.pendingOffset + allowed);
      const last = this.endAfterPending && this.pending.length === 1 && allowed === left;
      conn.writeFrame(frameHeader(allowed, DATA, last ? END_STREAM : 0, this.id), part);
      this.sendWindow -= allowed;
      conn.sendWindow -= allowed;
      this.pendingBytes -= allowed;
      this.pendingOffset += allowed;
      if (this.pendingOffset === chunk.length) {
        this.pending.shift();
        this.pendingOffset = 0;
      }
      if (last) {
        this.localEnded = true;
        this.endAfterPending = false;
      }
    }
    conn.blocked.delete(this);
    if (this.endAfterPending && !this.localEnded) {
      conn.writeFrame(frameHeader(0, DATA, END_STREAM, this.id));
      this.localEnded = true;
      this.endAfterPending = false;
    }
    const written = this.onWritten.splice(0);
    for (const done of written) done();
  }

  data(chunk: Buffer, flowLength: number, endStream: boolean): void {
    if (!endStream) {
      this.recvConsumed += flowLength;
      if (this.recvConsumed >= STREAM_WINDOW / 2) {
        this.conn.writeFrame(frameHeader(4, WINDOW_UPDATE, 0, this.id), u32(this.recvConsumed));
        this.recvConsumed = 0;
      }
    }
    let pos = 0;
    const length = chunk.length;
    while (pos < length && !this.finished) {
      if (this.expected < 0) {
        const take = Math.min(5 - this.prefixFill, length - pos);
        chunk.copy(this.prefix, this.prefixFill, pos, pos + take);
        this.prefixFill += take;
        pos += take;
        if (this.prefixFill < 5) return;
        this.prefixFill = 0;
        if (this.prefix[0] !== 0) {
          this.fail(INTERNAL, 'compressed response, but no compression was negotiated');
          return;
        }
        const size = this.prefix.readUInt32BE(1);
        if (size > this.maxMessageBytes) {
          this.fail(RESOURCE_EXHAUSTED, `received message larger than max (${size} vs. ${this.maxMessageBytes})`);
          return;
        }
        this.expected = size;
        this.have = 0;
      }
      const take = Math.min(this.expected - this.have, length - pos);
      let bytes: Buffer;
      if (this.have === 0 && take === this.expected) bytes = Buffer.from(chunk.subarray(pos, pos + take));
      else {
        this.partial ??= Buffer.allocUnsafe(this.expected);
        chunk.copy(this.partial, this.have, pos, pos + take);
        this.have += take;
        if (this.have < this.expected) return;
        bytes = this.partial;
        this.partial = undefined;
      }
      pos += take;
      this.expected = -1;
      this.have = 0;
      this.onMessage(bytes);
    }
  }

  headers(list: string[], endStream: boolean): void {
    const metadata = new CallMetadata(list);
    if (!this.gotHeaders) {
      this.gotHeaders = true;
      for (let i = 0; i < list.length; i += 2) {
        if (list[i] === ':status') this.httpStatus = Number(list[i + 1]);
        else if (list[i] === 'content-type') this.grpcResponse = list[i + 1]!.startsWith('application/grpc');
      }
      if (this.httpStatus !== 200 || !this.grpcResponse) {
        const code = this.httpStatus !== 200 ? httpToGrpc(this.httpStatus) : UNKNOWN;
        this.fail(code, `unexpected HTTP response: status ${this.httpStatus}, not a gRPC response`);
        return;
      }
      if (!endStream) return;
    }
    // Trailers (or trailers-only).
    const statusText = metadata.get('grpc-status')[0];
    const code = statusText === undefined ? UNKNOWN : Number(statusText);
    const message = metadata.get('grpc-message')[0];
    if (code === OK && (this.expected >= 0 || this.prefixFill > 0)) {
      this.finish({ code: INTERNAL, details: 'response ended inside a message', metadata });
      return;
    }
    this.finish({
      code: Number.isInteger(code) && code >= 0 && code <= 16 ? code : UNKNOWN,
      details: statusText === undefined ? 'no grpc-status in the trailers' : decodeGrpcMessage(String(message ?? '')),
      metadata,
    });
  }

  fail(code: number, details: string): void {
    this.finish({ code, details, metadata: EMPTY_METADATA });
    if (!this.closed) this.reset(8);
  }

  finish(status: StatusObject): void {
    if (this.finished) return;
    this.finished = true;
    this.onStatus(status);
  }

  reset(code: number): void {
    if (this.closed) return;
    this.conn.writeFrame(frameHeader(4, RST_STREAM, 0, this.id), u32(code));
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    this.conn.streamClosed(this);
  }
}

class ClientConnection {
  private readonly decoder = new HpackDecoder({ maxTableSize: 4096, maxHeaderListSize: 1 << 20 });
  readonly streams = new Map<number, ClientStream>();
  readonly blocked = new Set<ClientStream>();
  private nextId = 1;
  private buffered: Buffer | undefined;
  private out: Buffer[] = [];
  private outBytes = 0;
  private flushScheduled = false;
  dead = false;
  draining = false;
  sendWindow = 65_535;
  private recvConsumed = 0;
  peerInitialWindow = 65_535;
  peerMaxFrameSize = 16_384;
  peerMaxStreams = Number.POSITIVE_INFINITY;
  private block: { streamId: number; endStream: boolean; chunks: Buffer[] } | undefined;
  private readonly socket: Socket;
  onGone: (() => void) | undefined;

  constructor(target: ClientTarget) {
    this.socket = typeof target === 'string' ? connect(target) : connect(target.port, target.host);
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.receive(chunk));
    this.socket.on('error', (err) => this.teardown(`connection failed: ${err.message}`));
    this.socket.on('close', () => this.teardown('connection closed'));
    const settings = Buffer.allocUnsafe(12);
    settings.writeUInt16BE(0x2, 0); // ENABLE_PUSH 0
    settings.writeUInt32BE(0, 2);
    settings.writeUInt16BE(0x4, 6); // INITIAL_WINDOW_SIZE
    settings.writeUInt32BE(STREAM_WINDOW, 8);
    this.out.push(PREFACE, frameHeader(12, SETTINGS, 0, 0), settings);
    this.out.push(frameHeader(4, WINDOW_UPDATE, 0, 0), u32(CONNECTION_WINDOW - 65_535));
    this.outBytes = PREFACE.length + 9 + 12 + 13;
    this.scheduleFlush();
  }

  get usable(): boolean {
    return !this.dead && !this.draining && this.nextId < MAX_WINDOW - 2;
  }

  openStream(maxMessageBytes: number, headerBlock: Buffer, endStream: boolean): ClientStream {
    const stream = new ClientStream(this.nextId, this, maxMessageBytes);
    this.nextId += 2;
    this.streams.set(stream.id, stream);
    this.writeFrame(
      frameHeader(headerBlock.length, HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), stream.id),
      headerBlock,
    );
    if (endStream) stream.localEnded = true;
    return stream;
  }

  writeFrame(header: Buffer, payload?: Buffer): void {
    if (this.dead) return;
    this.out.push(header);
    this.outBytes += header.length;
    if (payload !== undefined && payload.length > 0) {
      this.out.push(payload);
      this.outBytes += payload.length;
    }
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.dead || this.out.length === 0) return;
    const data = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out, this.outBytes);
    this.out = [];
    this.outBytes = 0;
    this.socket.write(data);
  };

  streamClosed(stream: ClientStream): void {
    this.streams.delete(stream.id);
    this.blocked.delete(stream);
    if (this.draining && this.streams.size === 0) this.close();
  }

  close(): void {
    if (this.dead) return;
    this.flush();
    this.teardown('connection closed by the client');
    this.socket.end();
  }

  private teardown(reason: string): void {
    if (this.dead && this.streams.size === 0) return;
    this.dead = true;
    for (const stream of [...this.streams.values()]) {
      stream.finish({ code: UNAVAILABLE, details: reason, metadata: EMPTY_METADATA });
      stream.close();
    }
    this.onGone?.();
  }

  private protocolError(message: string): void {
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(0, 0);
    payload.writeUInt32BE(1, 4);
    this.writeFrame(frameHeader(8, GOAWAY, 0, 0), payload);
    this.flush();
    this.teardown(`protocol error from the server: ${message}`);
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    if (this.dead) return;
    let data = chunk;
    if (this.buffered !== undefined) {
      data = Buffer.concat([this.buffered, chunk]);
      this.buffered = undefined;
    }
    let pos = 0;
    try {
      while (!this.dead && data.length - pos >= 9) {
        const length = (data[pos]! << 16) | (data[pos + 1]! << 8) | data[pos + 2]!;
        if (length > 16_384) throw new HpackError(`frame of ${length} bytes above our SETTINGS_MAX_FRAME_SIZE`);
        if (data.length - pos - 9 < length) break;
        const type = data[pos + 3]!;
        const flags = data[pos + 4]!;
        const streamId = data.readUInt32BE(pos + 5) & MAX_WINDOW;
        const payload = data.subarray(pos + 9, pos + 9 + length);
        pos += 9 + length;
        this.frame(type, flags, streamId, payload);
      }
    } catch (err) {
      this.protocolError((err as Error).message);
      return;
    }
    if (pos < data.length && !this.dead) this.buffered = Buffer.from(data.subarray(pos));
  }

  private unpad(flags: number, payload: Buffer): Buffer {
    if ((flags & PADDED) === 0) return payload;
    const pad = payload[0] ?? 0;
    if (payload.length < 1 || pad + 1 > payload.length) throw new Error('bad padding');
    return payload.subarray(1, payload.length - pad);
  }

  private frame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.block !== undefined && type !== CONTINUATION) throw new Error('expected CONTINUATION');
    switch (type) {
      case DATA: {
        this.recvConsumed += payload.length;
        if (this.recvConsumed >= CONNECTION_WINDOW / 2) {
          this.writeFrame(frameHeader(4, WINDOW_UPDATE, 0, 0), u32(this.recvConsumed));
          this.recvConsumed = 0;
        }
        const stream = this.streams.get(streamId);
        if (stream === undefined) return;
        const end = (flags & END_STREAM) !== 0;
        stream.data(this.unpad(flags, payload), payload.length, end);
        if (end) this.remoteEnd(stream);
        return;
      }
      case HEADERS: {
        let fragment = this.unpad(flags, payload);
        if ((flags & PRIORITY_FLAG) !== 0) fragment = fragment.subarray(5);
        const endStream = (flags & END_STREAM) !== 0;
        if ((flags & END_HEADERS) === 0) {
          this.block = { streamId, endStream, chunks: [Buffer.from(fragment)] };
          return;
        }
        this.headerBlock(streamId, endStream, fragment);
        return;
      }
      case CONTINUATION: {
        const block = this.block;
        if (block === undefined || block.streamId !== streamId) throw new Error('unexpected CONTINUATION');
        block.chunks.push(Buffer.from(payload));
        if ((flags & END_HEADERS) === 0) return;
        this.block = undefined;
        this.headerBlock(streamId, block.endStream, Buffer.concat(block.chunks));
        return;
      }
      case RST_STREAM: {
        const stream = this.streams.get(streamId);
        if (stream === undefined || payload.length !== 4) return;
        const code = payload.readUInt32BE(0);
        stream.finish({
          code: code === 8 ? CANCELLED : code === 7 ? UNAVAILABLE : INTERNAL,
          details: `stream reset by the server (HTTP/2 error code ${code})`,
          metadata: EMPTY_METADATA,
        });
        stream.close();
        return;
      }
      case SETTINGS: {
        if ((flags & 0x1) !== 0) return;
        for (let at = 0; at + 6 <= payload.length; at += 6) {
          const id = payload.readUInt16BE(at);
          const value = payload.readUInt32BE(at + 2);
          if (id === 0x3) this.peerMaxStreams = value;
          else if (id === 0x4) {
            const delta = value - this.peerInitialWindow;
            this.peerInitialWindow = value;
            for (const s of this.streams.values()) s.sendWindow += delta;
          } else if (id === 0x5) this.peerMaxFrameSize = value;
        }
        this.writeFrame(frameHeader(0, SETTINGS, 0x1, 0));
        for (const s of [...this.streams.values()]) s.flush();
        return;
      }
      case PING:
        if ((flags & 0x1) === 0) this.writeFrame(frameHeader(8, PING, 0x1, 0), Buffer.from(payload));
        return;
      case GOAWAY: {
        this.draining = true;
        const last = payload.length >= 4 ? payload.readUInt32BE(0) & MAX_WINDOW : 0;
        for (const stream of [...this.streams.values()]) {
          if (stream.id > last) {
            stream.finish({ code: UNAVAILABLE, details: 'the server is going away', metadata: EMPTY_METADATA });
            stream.close();
          }
        }
        this.onGone?.();
        if (this.streams.size === 0) this.close();
        return;
      }
      case WINDOW_UPDATE: {
        if (payload.length !== 4) return;
        const increment = payload.readUInt32BE(0) & MAX_WINDOW;
        if (streamId === 0) {
          this.sendWindow += increment;
          for (const s of [...this.blocked]) s.flush();
        } else {
          const stream = this.streams.get(streamId);
          if (stream === undefined) return;
          stream.sendWindow += increment;
          stream.flush();
        }
        return;
      }
      default:
        return;
    }
  }

  private headerBlock(streamId: number, endStream: boolean, fragment: Buffer): void {
    const list = this.decoder.decode(fragment);
    const stream = this.streams.get(streamId);
    if (stream === undefined) return;
    stream.headers(list, endStream);
    if (endStream) this.remoteEnd(stream);
  }

  private remoteEnd(stream: ClientStream): void {
    stream.remoteEnded = true;
    if (!stream.finished)
      stream.finish({ code: INTERNAL, details: 'stream ended without trailers', metadata: EMPTY_METADATA });
    if (stream.localEnded) stream.close();
    else stream.reset(0); // we were still sending: stop (RST_STREAM NO_ERROR)
  }
}

export interface ClientOptions {
  maxMessageBytes: number;
  /** Header pairs sent with every call (e.g. x-component-instance). */
  metadata: [string, string][];
}

/** grpc-js' ClientDuplexStream surface that src/client uses. */
export class ClientDuplex extends EventEmitter {
  writableEnded = false;
  destroyed = false;
  private paused = false;
  private queued: unknown[] = [];
  private status: StatusObject | undefined;

  constructor(
    private readonly stream: ClientStream,
    private readonly serialize: (value: unknown) => Buffer,
    deserialize: (bytes: Buffer) => unknown,
  ) {
    super();
    stream.onMessage = (bytes) => {
      let message: unknown;
      try {
        message = deserialize(bytes);
      } catch (err) {
        stream.fail(INTERNAL, `cannot decode a response message: ${(err as Error).message}`);
        return;
      }
      if (this.paused) this.queued.push(message);
      else this.emit('data', message);
    };
    stream.onStatus = (status) => {
      this.status = status;
      if (!this.paused || this.queued.length === 0) this.emitStatus();
    };
  }

  private emitStatus(): void {
    const status = this.status!;
    this.status = undefined;
    this.destroyed = true;
    this.writableEnded = true;
    if (status.code !== OK) this.emit('error', statusError(status));
    this.emit('status', status);
    this.emit('close');
  }

  write(message: unknown, callback?: (err?: Error | null) => void): boolean {
    if (this.writableEnded || this.stream.closed) {
      callback?.(new Error('write after end'));
      return false;
    }
    let payload: Buffer;
    try {
      payload = this.serialize(message);
    } catch (err) {
      callback?.(err as Error);
      return false;
    }
    const framed = Buffer.allocUnsafe(5 + payload.length);
    framed[0] = 0;
    framed.writeUInt32BE(payload.length, 1);
    payload.copy(framed, 5);
    this.stream.write(framed, callback ? () => callback(null) : undefined);
    return this.stream.pendingBytes < 256 * 1024;
  }

  end(): void {
    if (this.writableEnded) return;
    this.writableEnded = true;
    this.stream.endWrites();
  }

  cancel(): void {
    if (this.stream.finished) return;
    this.stream.finish({ code: CANCELLED, details: 'Cancelled on client', metadata: EMPTY_METADATA });
    this.stream.reset(8);
  }

  pause(): this {
    this.paused = true;
    return this;
  }

  resume(): this {
    this.paused = false;
    while (!this.paused && this.queued.length > 0) this.emit('data', this.queued.shift());
    if (!this.paused && this.status !== undefined) this.emitStatus();
    return this;
  }
}

/** A unix socket path, or a TCP address (the sidecar's sidecar-to-sidecar client). */
export type ClientTarget = string | { host: string; port: number };

/** Calls over one lazily (re)made connection to a unix socket or TCP address. */
export class GrpcClient {
  private conn: ClientConnection | undefined;
  private readonly fixedHeaders: Buffer;
  private closed = false;

  constructor(
    private readonly socketPath: ClientTarget,
    private readonly options: ClientOptions,
  ) {
    this.fixedHeaders = Buffer.concat([
      Buffer.from([0x83, 0x86]), // :method POST, :scheme http
      encodeLiteral(':authority', 'localhost'),
      encodeLiteral('content-type', 'application/grpc'),
      encodeLiteral('te', 'trailers'),
      ...options.metadata.map(([name, value]) => encodeLiteral(name, value)),
    ]);
  }

  private connection(): ClientConnection {
    if (this.conn === undefined || !this.conn.usable || this.conn.streams.size >= this.conn.peerMaxStreams) {
      const previous = this.conn;
      const conn = new ClientConnection(this.socketPath);
      conn.onGone = () => {
        if (this.conn === conn) this.conn = undefined;
      };
      this.conn = conn;
      if (previous !== undefined && previous.streams.size === 0) previous.close();
    }
    return this.conn;
  }

  private headerBlock(
    path: string,
    deadlineMs: number | undefined,
    headers: readonly (readonly [string, string])[] | undefined,
  ): Buffer {
    const parts = [encodeLiteral(':path', path), this.fixedHeaders];
    if (deadlineMs !== undefined) parts.push(encodeLiteral('grpc-timeout', `${Math.max(1, Math.ceil(deadlineMs))}m`));
    if (headers !== undefined) for (const [name, value] of headers) parts.push(encodeLiteral(name, value));
    return Buffer.concat(parts);
  }

  /** `headers`: this call's own metadata pairs (lower-case names; `-bin` values already base64). */
  unary(
    path: string,
    request: Buffer,
    deadlineMs?: number,
    headers?: readonly (readonly [string, string])[],
  ): Promise<Buffer> {
    if (this.closed)
      return Promise.reject(statusError({ code: UNAVAILABLE, details: 'channel closed', metadata: EMPTY_METADATA }));
    return new Promise<Buffer>((resolve, reject) => {
      const stream = this.connection().openStream(
        this.options.maxMessageBytes,
        this.headerBlock(path, deadlineMs, headers),
        false,
      );
      let response: Buffer | undefined;
      let timer: NodeJS.Timeout | undefined;
      stream.onMessage = (bytes) => {
        if (response !== undefined) {
          stream.fail(INTERNAL, 'unary response with more than one message');
          return;
        }
        response = bytes;
      };
      stream.onStatus = (status) => {
        if (timer !== undefined) clearTimeout(timer);
        if (status.code !== OK) reject(statusError(status));
        else if (response === undefined)
          reject(statusError({ code: INTERNAL, details: 'no response message', metadata: status.metadata }));
        else resolve(response);
      };
      if (deadlineMs !== undefined) {
        timer = setTimeout(() => {
          stream.finish({ code: DEADLINE_EXCEEDED, details: 'Deadline exceeded', metadata: EMPTY_METADATA });
          stream.reset(8);
        }, deadlineMs);
      }
      const framed = Buffer.allocUnsafe(5 + request.length);
      framed[0] = 0;
      framed.writeUInt32BE(request.length, 1);
      request.copy(framed, 5);
      stream.write(framed);
      stream.endWrites();
    });
  }

  bidi(
    path: string,
    serialize: (value: unknown) => Buffer,
    deserialize: (bytes: Buffer) => unknown,
    headers?: readonly (readonly [string, string])[],
  ): ClientDuplex {
    const stream = this.connection().openStream(
      this.options.maxMessageBytes,
      this.headerBlock(path, undefined, headers),
      false,
    );
    const duplex = new ClientDuplex(stream, serialize, deserialize);
    if (this.closed) queueMicrotask(() => duplex.cancel());
    return duplex;
  }

  close(): void {
    this.closed = true;
    this.conn?.close();
    this.conn = undefined;
  }
}
