/**
 * A lean HTTP/2 server connection (RFC 9113, server role only) on a `node:net` socket: frame parser, stream
 * states, flow control in both directions, SETTINGS/PING/GOAWAY/RST_STREAM, CONTINUATION, padding; priority is
 * parsed and ignored. No push, no TLS (daprd speaks plaintext HTTP/2 on the unix socket).
 *
 * The gRPC layer (grpc-server.ts) sees `H2Stream`s: request headers, data chunks, end, reset; it answers with
 * a header block, data and a trailer block. Writes of one event-loop turn are coalesced into one socket write.
 */
import type { Socket } from 'node:net';
import { HeaderListTooLarge, HpackDecoder, HpackError } from './hpack.js';

// frame types
const DATA = 0x0;
const HEADERS = 0x1;
const PRIORITY = 0x2;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const PUSH_PROMISE = 0x5;
const PING = 0x6;
const GOAWAY = 0x7;
const WINDOW_UPDATE = 0x8;
const CONTINUATION = 0x9;
// flags
const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY_FLAG = 0x20;

export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const MAX_WINDOW = 0x7fffffff;
const DEFAULT_WINDOW = 65_535;
const DEFAULT_MAX_FRAME = 16_384;

export interface H2Options {
  /** SETTINGS_MAX_CONCURRENT_STREAMS we announce and enforce (REFUSED_STREAM beyond it). */
  maxConcurrentStreams: number;
  /** Our per-stream receive window (SETTINGS_INITIAL_WINDOW_SIZE). */
  streamWindow: number;
  /** Our connection receive window. */
  connectionWindow: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE we announce and enforce (decoded size; RFC accounting). */
  maxHeaderListSize: number;
  /** Largest header block (HEADERS + CONTINUATION bytes) we buffer before giving up on the connection. */
  maxHeaderBlockBytes: number;
}

export const DEFAULT_H2_OPTIONS: H2Options = {
  maxConcurrentStreams: 1000,
  streamWindow: 1 << 20,
  connectionWindow: 16 << 20,
  maxHeaderListSize: 1 << 20,
  maxHeaderBlockBytes: 1 << 20,
};

/**
 * Exceptions that were neither protocol nor HPACK errors (bugs, or a throwing handler): the connection answers
 * them with GOAWAY(INTERNAL_ERROR) instead of crashing the process, and counts them here for tests and diagnostics.
 */
export const engineStats = { internalErrors: 0, lastInternalError: undefined as Error | undefined };

class ConnectionError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

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

/** One request stream as the application layer sees it. */
export class H2Stream {
  /** Decoded request header list, flat `[name, value, ...]` (pseudo-headers first). */
  headers: string[] = [];
  method = '';
  path = '';
  /** Set by the application: request body bytes (a view, valid during the call only), end, and a reset/close. */
  onData: ((chunk: Buffer) => void) | undefined;
  onEnd: (() => void) | undefined;
  /** The stream ended abnormally: peer RST_STREAM, connection loss, or our own reset. */
  onReset: ((code: number) => void) | undefined;
  /** Buffered outgoing bytes fell below the high-water mark again. */
  onDrain: (() => void) | undefined;

  remoteEnded = false;
  localEnded = false;
  closed = false;
  sendWindow: number;
  recvWindow: number;
  private recvConsumed = 0;
  contentLength = -1;
  receivedBytes = 0;
  /** Queued DATA payloads (flow control), then optionally a trailer block. */
  private pending: Buffer[] = [];
  private pendingOffset = 0;
  pendingBytes = 0;
  private trailers: Buffer | undefined;
  private headersSent = false;
  private wantsDrain = false;

  constructor(
    readonly id: number,
    private readonly conn: H2Connection,
    sendWindow: number,
    recvWindow: number,
  ) {
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
  }

  header(name: string): string | undefined {
    const h = this.headers;
    for (let i = 0; i < h.length; i += 2) if (h[i] === name) return h[i + 1];
    return undefined;
  }

  /** Response headers (an HPACK block). `endStream` for a headers-only (trailers-only) response. */
  respond(block: Buffer, endStream = false): void {
    if (this.closed || this.localEnded) return;
    this.headersSent = true;
    this.conn.writeHeaderBlock(this.id, block, endStream);
    if (endStream) this.endLocal();
  }

  get responded(): boolean {
    return this.headersSent;
  }

  /** Queues body bytes; returns false when the caller should wait for `onDrain`. */
  write(payload: Buffer): boolean {
    if (this.closed || this.localEnded) return false;
    this.pending.push(payload);
    this.pendingBytes += payload.length;
    this.flush();
    if (this.pendingBytes > 0 && this.pendingBytes + this.conn.bufferedBytes() > 256 * 1024) {
      this.wantsDrain = true;
      return false;
    }
    return true;
  }

  /** Trailers with END_STREAM (an empty block: just END_STREAM), sent once every queued DATA byte went out. */
  end(trailerBlock: Buffer): void {
    if (this.closed || this.localEnded || this.trailers !== undefined) return;
    this.trailers = trailerBlock;
    this.flush();
  }

  /** RST_STREAM with `code` (CANCEL, INTERNAL_ERROR, ...). */
  reset(code: number): void {
    if (this.closed) return;
    this.conn.writeFrame(frameHeader(4, RST_STREAM, 0, this.id), u32(code));
    this.close(code, false);
  }

  /** Sends what the windows allow. */
  flush(): void {
    const conn = this.conn;
    const maxFrame = conn.peerMaxFrameSize;
    while (this.pending.length > 0) {
      const chunk = this.pending[0]!;
      const left = chunk.length - this.pendingOffset;
      const allowed = Math.min(left, this.sendWindow, conn.sendWindow, maxFrame);
      if (allowed <= 0) {
        if (left === 0) {
          this.pending.shift();
          this.pendingOffset = 0;
          continue;
        }
        conn.blocked.add(this);
        return;
      }
      const part =
        this.pendingOffset === 0 && allowed === chunk.length
          ? chunk
          : chunk.subarray(this.pendingOffset, this.pendingOffset + allowed);
      conn.writeFrame(frameHeader(allowed, DATA, 0, this.id), part);
      this.sendWindow -= allowed;
      conn.sendWindow -= allowed;
      this.pendingBytes -= allowed;
      this.pendingOffset += allowed;
      if (this.pendingOffset === chunk.length) {
        this.pending.shift();
        this.pendingOffset = 0;
      }
    }
    conn.blocked.delete(this);
    if (this.trailers !== undefined && !this.localEnded) {
      const block = this.trailers;
      this.trailers = undefined;
      // An empty block ends the body with an empty DATA frame instead of trailers.
      if (block.length === 0) conn.writeFrame(frameHeader(0, DATA, END_STREAM, this.id));
      else conn.writeHeaderBlock(this.id, block, true);
      this.endLocal();
      return;
    }
    if (this.wantsDrain) {
      this.wantsDrain = false;
      this.onDrain?.();
    }
  }

  /** Called by the connection for each DATA frame's flow-controlled length. */
  consumed(length: number): void {
    if (this.remoteEnded || this.closed || length === 0) return;
    this.recvConsumed += length;
    if (this.recvConsumed >= this.conn.options.streamWindow / 2) {
      this.conn.writeFrame(frameHeader(4, WINDOW_UPDATE, 0, this.id), u32(this.recvConsumed));
      this.recvWindow += this.recvConsumed;
      this.recvConsumed = 0;
    }
  }

  private endLocal(): void {
    this.localEnded = true;
    if (this.remoteEnded) this.close(ErrorCode.NO_ERROR, true);
  }

  /** Remote END_STREAM. */
  endRemote(): void {
    this.remoteEnded = true;
    if (this.localEnded) this.close(ErrorCode.NO_ERROR, true);
    this.onEnd?.();
  }

  close(code: number, clean: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    this.pendingBytes = 0;
    this.conn.streamClosed(this);
    if (!clean) this.onReset?.(code);
  }
}

const u32 = (value: number): Buffer => {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(value >>> 0, 0);
  return b;
};

const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);
const REQUEST_PSEUDO = new Set([':method', ':scheme', ':path', ':authority']);

/** RFC 9113 §8.2–8.3 checks of a request (or trailer) header list; returns why it is malformed, or undefined. */
function malformed(headers: string[], trailers: boolean): string | undefined {
  let method = 0;
  let scheme = 0;
  let path = 0;
  let regular = false;
  let isConnect = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const value = headers[i + 1]!;
    if (name.length === 0) return 'empty header name';
    for (let c = 0; c < name.length; c++) {
      const code = name.charCodeAt(c);
      if ((code >= 0x41 && code <= 0x5a) || code <= 0x20 || code >= 0x7f) return `invalid header name '${name}'`;
    }
    if (name.charCodeAt(0) === 0x3a) {
      if (trailers) return 'pseudo-header in trailers';
      if (regular) return 'pseudo-header after a regular header';
      if (!REQUEST_PSEUDO.has(name)) return `unknown pseudo-header '${name}'`;
      if (name === ':method') {
        method++;
        isConnect = value === 'CONNECT';
      } else if (name === ':scheme') scheme++;
      else if (name === ':path') {
        path++;
        if (value === '') return 'empty :path';
      }
      continue;
    }
    regular = true;
    if (CONNECTION_SPECIFIC.has(name)) return `connection-specific header '${name}'`;
    if (name === 'te' && value !== 'trailers') return `te: ${value}`;
  }
  if (trailers) return undefined;
  if (method !== 1) return method === 0 ? 'missing :method' : 'duplicate :method';
  if (isConnect) return scheme === 0 && path === 0 ? undefined : 'CONNECT with :scheme or :path';
  if (scheme !== 1) return scheme === 0 ? 'missing :scheme' : 'duplicate :scheme';
  if (path !== 1) return path === 0 ? 'missing :path' : 'duplicate :path';
  return undefined;
}

export class H2Connection {
  readonly options: H2Options;
  private readonly decoder: HpackDecoder;
  private readonly streams = new Map<number, H2Stream>();
  /** Recently closed stream ids (bounded): frames on them get STREAM_CLOSED rather than PROTOCOL_ERROR. */
  private readonly recentlyClosed = new Set<number>();
  readonly blocked = new Set<H2Stream>();
  private lastStreamId = 0;
  private buffered: Buffer | undefined;
  private prefaceSeen = false;
  private settingsAcked = false;
  private out: Buffer[] = [];
  private outBytes = 0;
  private flushScheduled = false;
  private dead = false;
  private goawaySent = false;
  /** Header block being assembled from HEADERS + CONTINUATION. */
  private block: { streamId: number; endStream: boolean; chunks: Buffer[]; bytes: number } | undefined;
  sendWindow = DEFAULT_WINDOW;
  private recvWindow = DEFAULT_WINDOW;
  private recvConsumed = 0;
  peerMaxFrameSize = DEFAULT_MAX_FRAME;
  private peerInitialWindow = DEFAULT_WINDOW;
  onIdle: (() => void) | undefined;
  onClose: (() => void) | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly onStream: (stream: H2Stream) => void,
    options: Partial<H2Options> = {},
  ) {
    this.options = { ...DEFAULT_H2_OPTIONS, ...options };
    this.decoder = new HpackDecoder({ maxTableSize: 4096, maxHeaderListSize: this.options.maxHeaderListSize });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => this.teardown());
    socket.on('error', () => this.teardown());
    // Our SETTINGS: no push, our stream window, concurrency and header list limits; then widen the connection window.
    const o = this.options;
    const settings = Buffer.allocUnsafe(24);
    settings.writeUInt16BE(0x2, 0); // ENABLE_PUSH
    settings.writeUInt32BE(0, 2);
    settings.writeUInt16BE(0x3, 6); // MAX_CONCURRENT_STREAMS
    settings.writeUInt32BE(o.maxConcurrentStreams, 8);
    settings.writeUInt16BE(0x4, 12); // INITIAL_WINDOW_SIZE
    settings.writeUInt32BE(o.streamWindow, 14);
    settings.writeUInt16BE(0x6, 18); // MAX_HEADER_LIST_SIZE
    settings.writeUInt32BE(o.maxHeaderListSize, 20);
    this.writeFrame(frameHeader(settings.length, SETTINGS, 0, 0), settings);
    if (o.connectionWindow > DEFAULT_WINDOW) {
      this.writeFrame(frameHeader(4, WINDOW_UPDATE, 0, 0), u32(o.connectionWindow - DEFAULT_WINDOW));
      this.recvWindow = o.connectionWindow;
    }
  }

  get openStreams(): number {
    return this.streams.size;
  }

  bufferedBytes(): number {
    return this.outBytes + this.socket.writableLength;
  }

  // ---------- output ----------

  writeFrame(header: Buffer, payload?: Buffer): void {
    if (this.dead) return;
    this.out.push(header);
    this.outBytes += header.length;
    if (payload !== undefined && payload.length > 0) {
      this.out.push(payload);
      this.outBytes += payload.length;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushOut);
    }
  }

  /** A header block as HEADERS (+ CONTINUATION frames when it exceeds the peer's frame size). */
  writeHeaderBlock(streamId: number, block: Buffer, endStream: boolean): void {
    const max = this.peerMaxFrameSize;
    const es = endStream ? END_STREAM : 0;
    if (block.length <= max) {
      this.writeFrame(frameHeader(block.length, HEADERS, es | END_HEADERS, streamId), block);
      return;
    }
    this.writeFrame(frameHeader(max, HEADERS, es, streamId), block.subarray(0, max));
    for (let at = max; at < block.length; at += max) {
      const part = block.subarray(at, Math.min(at + max, block.length));
      const last = at + max >= block.length;
      this.writeFrame(frameHeader(part.length, CONTINUATION, last ? END_HEADERS : 0, streamId), part);
    }
  }

  private readonly flushOut = (): void => {
    this.flushScheduled = false;
    if (this.dead || this.out.length === 0) return;
    const data = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out, this.outBytes);
    this.out = [];
    this.outBytes = 0;
    this.socket.write(data);
  };

  // ---------- lifecycle ----------

  /** Graceful: GOAWAY(NO_ERROR); streams already open finish; the socket ends once none is left. */
  shutdown(): void {
    if (this.dead) return;
    if (!this.goawaySent) this.sendGoaway(ErrorCode.NO_ERROR, '');
    if (this.streams.size === 0) this.endSocket();
  }

  /** Immediately: every stream is reset, the socket destroyed. */
  destroy(): void {
    if (this.dead) return;
    if (!this.goawaySent) this.sendGoaway(ErrorCode.NO_ERROR, 'server shutting down');
    this.flushOut();
    this.teardown();
    this.socket.destroy();
  }

  private sendGoaway(code: number, debug: string): void {
    this.goawaySent = true;
    const debugBytes = Buffer.from(debug, 'utf8');
    const payload = Buffer.allocUnsafe(8 + debugBytes.length);
    payload.writeUInt32BE(this.lastStreamId, 0);
    payload.writeUInt32BE(code, 4);
    debugBytes.copy(payload, 8);
    this.writeFrame(frameHeader(payload.length, GOAWAY, 0, 0), payload);
  }

  private endSocket(): void {
    this.flushOut();
    this.dead = true;
    this.socket.end();
    // A peer that never closes its side must not keep the socket (and us) alive.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private connectionError(code: number, message: string): void {
    if (this.dead) return;
    this.sendGoaway(code, message);
    this.flushOut();
    this.teardown();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private teardown(): void {
    if (this.dead && this.streams.size === 0) {
      this.onClose?.();
      this.onClose = undefined;
      return;
    }
    this.dead = true;
    this.buffered = undefined;
    this.block = undefined;
    for (const stream of [...this.streams.values()]) stream.close(ErrorCode.CANCEL, false);
    this.onClose?.();
    this.onClose = undefined;
  }

  streamClosed(stream: H2Stream): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
    this.blocked.delete(stream);
    this.recentlyClosed.add(stream.id);
    if (this.recentlyClosed.size > 256) {
      const oldest = this.recentlyClosed.values().next().value as number;
      this.recentlyClosed.delete(oldest);
    }
    if (this.streams.size === 0) {
      if (this.goawaySent && !this.dead) this.endSocket();
      this.onIdle?.();
    }
  }

  // ---------- input ----------

  private receive(chunk: Buffer): void {
    if (this.dead) return;
    let data = chunk;
    if (this.buffered !== undefined) {
      data = Buffer.concat([this.buffered, chunk]);
      this.buffered = undefined;
    }
    let pos = 0;
    try {
      if (!this.prefaceSeen) {
        const n = Math.min(data.length, PREFACE.length);
        if (data.compare(PREFACE, 0, n, 0, n) !== 0) {
          throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'invalid connection preface');
        }
        if (data.length < PREFACE.length) {
          this.buffered = data;
          return;
        }
        this.prefaceSeen = true;
        pos = PREFACE.length;
      }
      while (!this.dead) {
        if (data.length - pos < 9) break;
        const length = (data[pos]! << 16) | (data[pos + 1]! << 8) | data[pos + 2]!;
        const type = data[pos + 3]!;
        const flags = data[pos + 4]!;
        const streamId = data.readUInt32BE(pos + 5) & MAX_WINDOW;
        if (length > DEFAULT_MAX_FRAME) {
          throw new ConnectionError(
            ErrorCode.FRAME_SIZE_ERROR,
            `frame of ${length} bytes exceeds SETTINGS_MAX_FRAME_SIZE`,
          );
        }
        if (data.length - pos - 9 < length) break;
        const payload = data.subarray(pos + 9, pos + 9 + length);
        pos += 9 + length;
        this.frame(type, flags, streamId, payload);
      }
    } catch (err) {
      if (err instanceof ConnectionError) this.connectionError(err.code, err.message);
      else if (err instanceof HpackError) this.connectionError(ErrorCode.COMPRESSION_ERROR, err.message);
      else {
        engineStats.internalErrors++;
        engineStats.lastInternalError = err as Error;
        this.connectionError(ErrorCode.INTERNAL_ERROR, 'internal error');
      }
      return;
    }
    if (pos < data.length && !this.dead) this.buffered = Buffer.from(data.subarray(pos));
  }

  private frame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.block !== undefined && type !== CONTINUATION) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'expected CONTINUATION');
    }
    switch (type) {
      case DATA:
        this.onDataFrame(flags, streamId, payload);
        return;
      case HEADERS:
        this.onHeadersFrame(flags, streamId, payload);
        return;
      case PRIORITY:
        if (streamId === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PRIORITY on stream 0');
        if (payload.length !== 5) {
          this.streamError(streamId, ErrorCode.FRAME_SIZE_ERROR);
          return;
        }
        if ((payload.readUInt32BE(0) & MAX_WINDOW) === streamId) {
          this.streamError(streamId, ErrorCode.PROTOCOL_ERROR);
          return;
        }
        return;
      case RST_STREAM:
        this.onRstStream(streamId, payload);
        return;
      case SETTINGS:
        this.onSettings(flags, streamId, payload);
        return;
      case PUSH_PROMISE:
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PUSH_PROMISE from a client');
      case PING:
        if (streamId !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PING on a stream');
        if (payload.length !== 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'PING payload is not 8 bytes');
        if ((flags & ACK) === 0) this.writeFrame(frameHeader(8, PING, ACK, 0), Buffer.from(payload));
        return;
      case GOAWAY:
        if (streamId !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'GOAWAY on a stream');
        if (payload.length < 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'GOAWAY shorter than 8 bytes');
        // The client will open no new streams; ours finish normally.
        if (!this.goawaySent) this.sendGoaway(ErrorCode.NO_ERROR, '');
        if (this.streams.size === 0) this.endSocket();
        return;
      case WINDOW_UPDATE:
        this.onWindowUpdate(streamId, payload);
        return;
      case CONTINUATION:
        this.onContinuation(flags, streamId, payload);
        return;
      default:
        return; // unknown frame types are ignored (RFC 9113 §5.5)
    }
  }

  /** Strips padding; a pad length that does not fit is a connection PROTOCOL_ERROR. */
  private unpad(flags: number, payload: Buffer, extra: number): Buffer {
    if ((flags & PADDED) === 0) return payload;
    if (payload.length < 1) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'padded frame without pad length');
    const pad = payload[0]!;
    if (pad + 1 + extra > payload.length)
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'padding exceeds the frame');
    return payload.subarray(1, payload.length - pad);
  }

  private isIdle(streamId: number): boolean {
    return streamId > this.lastStreamId && !this.streams.has(streamId);
  }

  private onDataFrame(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'DATA on stream 0');
    const flowLength = payload.length;
    // Connection-level accounting applies whatever the stream's state.
    if (flowLength > this.recvWindow)
      throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'connection window exceeded');
    this.recvWindow -= flowLength;
    this.recvConsumed += flowLength;
    if (this.recvConsumed >= this.options.connectionWindow / 2) {
      this.writeFrame(frameHeader(4, WINDOW_UPDATE, 0, 0), u32(this.recvConsumed));
      this.recvWindow += this.recvConsumed;
      this.recvConsumed = 0;
    }
    const stream = this.streams.get(streamId);
    if (stream === undefined) {
      if (this.isIdle(streamId)) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'DATA on an idle stream');
      if (this.recentlyClosed.has(streamId)) {
        this.streamError(streamId, ErrorCode.STREAM_CLOSED);
        return;
      }
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'DATA on a closed stream');
    }
    const body = this.unpad(flags, payload, 0);
    if (stream.remoteEnded) {
      this.streamError(streamId, ErrorCode.STREAM_CLOSED);
      return;
    }
    if (flowLength > stream.recvWindow) {
      this.streamError(streamId, ErrorCode.FLOW_CONTROL_ERROR);
      return;
    }
    stream.recvWindow -= flowLength;
    stream.receivedBytes += body.length;
    if (stream.contentLength >= 0 && stream.receivedBytes > stream.contentLength) {
      this.streamError(streamId, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    const endStream = (flags & END_STREAM) !== 0;
    if (endStream && stream.contentLength >= 0 && stream.receivedBytes !== stream.contentLength) {
      this.streamError(streamId, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    if (!endStream) stream.consumed(flowLength);
    if (body.length > 0) stream.onData?.(body);
    if (endStream && !stream.closed) stream.endRemote();
  }

  private onHeadersFrame(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'HEADERS on stream 0');
    let fragment = this.unpad(flags, payload, (flags & PRIORITY_FLAG) !== 0 ? 5 : 0);
    if ((flags & PRIORITY_FLAG) !== 0) {
      if (fragment.length < 5) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'HEADERS priority truncated');
      const dependency = fragment.readUInt32BE(0) & MAX_WINDOW;
      fragment = fragment.subarray(5);
      if (dependency === streamId) {
        // Decode anyway to keep the HPACK state in sync, then reject the stream.
        if ((flags & END_HEADERS) !== 0) this.decoder.decode(fragment);
        else throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'stream depends on itself');
        if (this.isIdle(streamId)) this.lastStreamId = streamId;
        this.streamError(streamId, ErrorCode.PROTOCOL_ERROR);
        return;
      }
    }
    const endStream = (flags & END_STREAM) !== 0;
    if ((flags & END_HEADERS) === 0) {
      this.block = { streamId, endStream, chunks: [Buffer.from(fragment)], bytes: fragment.length };
      return;
    }
    this.headerBlock(streamId, endStream, fragment);
  }

  private onContinuation(flags: number, streamId: number, payload: Buffer): void {
    const block = this.block;
    if (block === undefined || block.streamId !== streamId) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'CONTINUATION without a header block in progress');
    }
    block.chunks.push(Buffer.from(payload));
    block.bytes += payload.length;
    if (block.bytes > this.options.maxHeaderBlockBytes) {
      throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'header block too large');
    }
    if ((flags & END_HEADERS) === 0) return;
    this.block = undefined;
    this.headerBlock(streamId, block.endStream, Buffer.concat(block.chunks, block.bytes));
  }

  private headerBlock(streamId: number, endStream: boolean, fragment: Buffer): void {
    let headers: string[];
    let tooLarge = false;
    try {
      headers = this.decoder.decode(fragment);
    } catch (err) {
      if (!(err instanceof HeaderListTooLarge)) throw err;
      // HPACK state may now differ from the peer's (the rest of the block was not applied): end the connection.
      tooLarge = true;
      headers = [];
    }
    const existing = this.streams.get(streamId);
    if (existing !== undefined) {
      // Trailers: must end the stream and carry no pseudo-headers.
      if (existing.remoteEnded) {
        this.streamError(streamId, ErrorCode.STREAM_CLOSED);
        return;
      }
      if (!endStream) {
        this.streamError(streamId, ErrorCode.PROTOCOL_ERROR);
        return;
      }
      if (tooLarge || malformed(headers, true) !== undefined) {
        this.streamError(streamId, ErrorCode.PROTOCOL_ERROR);
        return;
      }
      existing.endRemote();
      return;
    }
    if (streamId <= this.lastStreamId) {
      if (this.recentlyClosed.has(streamId)) {
        throw new ConnectionError(ErrorCode.STREAM_CLOSED, `HEADERS on closed stream ${streamId}`);
      }
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `stream id ${streamId} is not above ${this.lastStreamId}`);
    }
    if (streamId % 2 === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'even stream id from a client');
    this.lastStreamId = streamId;
    if (tooLarge) throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'header list too large');
    if (this.goawaySent) {
      this.streamError(streamId, ErrorCode.REFUSED_STREAM);
      return;
    }
    if (this.streams.size >= this.options.maxConcurrentStreams) {
      this.streamError(streamId, ErrorCode.REFUSED_STREAM);
      return;
    }
    const problem = malformed(headers, false);
    if (problem !== undefined) {
      this.streamError(streamId, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    const stream = new H2Stream(streamId, this, this.peerInitialWindow, this.options.streamWindow);
    stream.headers = headers;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      if (name === ':method') stream.method = headers[i + 1]!;
      else if (name === ':path') stream.path = headers[i + 1]!;
      else if (name === 'content-length') {
        const value = headers[i + 1]!;
        if (!/^\d{1,15}$/.test(value)) {
          this.streamError(streamId, ErrorCode.PROTOCOL_ERROR);
          return;
        }
        stream.contentLength = Number(value);
      }
    }
    if (endStream && stream.contentLength > 0) {
      this.streamError(streamId, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    this.streams.set(streamId, stream);
    this.onStream(stream);
    if (endStream && !stream.closed) stream.endRemote();
  }

  private onRstStream(streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
    if (payload.length !== 4)
      throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'RST_STREAM payload is not 4 bytes');
    if (this.isIdle(streamId)) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on an idle stream');
    const stream = this.streams.get(streamId);
    stream?.close(payload.readUInt32BE(0), false);
  }

  private onSettings(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if ((flags & ACK) !== 0) {
      if (payload.length !== 0) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS ack with a payload');
      this.settingsAcked = true;
      return;
    }
    if (payload.length % 6 !== 0)
      throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS length not a multiple of 6');
    for (let at = 0; at < payload.length; at += 6) {
      const id = payload.readUInt16BE(at);
      const value = payload.readUInt32BE(at + 2);
      switch (id) {
        case 0x2: // ENABLE_PUSH
          if (value > 1) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'SETTINGS_ENABLE_PUSH not 0 or 1');
          break;
        case 0x4: {
          // INITIAL_WINDOW_SIZE: applies to every open stream as a delta (windows may go negative)
          if (value > MAX_WINDOW)
            throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'SETTINGS_INITIAL_WINDOW_SIZE too large');
          const delta = value - this.peerInitialWindow;
          this.peerInitialWindow = value;
          for (const stream of this.streams.values()) {
            stream.sendWindow += delta;
            if (stream.sendWindow > MAX_WINDOW) {
              throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'stream window above 2^31-1');
            }
          }
          break;
        }
        case 0x5: // MAX_FRAME_SIZE
          if (value < DEFAULT_MAX_FRAME || value > 0xffffff) {
            throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'SETTINGS_MAX_FRAME_SIZE out of range');
          }
          this.peerMaxFrameSize = value;
          break;
        default:
          break; // HEADER_TABLE_SIZE (our encoder never indexes), MAX_CONCURRENT_STREAMS (no push), unknown ids
      }
    }
    this.writeFrame(frameHeader(0, SETTINGS, ACK, 0));
    for (const stream of [...this.streams.values()]) if (stream.sendWindow > 0) stream.flush();
  }

  private onWindowUpdate(streamId: number, payload: Buffer): void {
    if (payload.length !== 4)
      throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'WINDOW_UPDATE payload is not 4 bytes');
    const increment = payload.readUInt32BE(0) & MAX_WINDOW;
    if (streamId === 0) {
      if (increment === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0 on the connection');
      this.sendWindow += increment;
      if (this.sendWindow > MAX_WINDOW)
        throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'connection window above 2^31-1');
      for (const stream of [...this.blocked]) {
        if (this.sendWindow <= 0) break;
        stream.flush();
      }
      return;
    }
    if (this.isIdle(streamId)) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE on an idle stream');
    const stream = this.streams.get(streamId);
    if (stream === undefined) return; // closed: may cross our END_STREAM/RST_STREAM
    if (increment === 0) {
      this.streamError(streamId, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    stream.sendWindow += increment;
    if (stream.sendWindow > MAX_WINDOW) {
      this.streamError(streamId, ErrorCode.FLOW_CONTROL_ERROR);
      return;
    }
    stream.flush();
  }

  private streamError(streamId: number, code: number): void {
    const stream = this.streams.get(streamId);
    if (stream !== undefined) {
      stream.reset(code);
      return;
    }
    this.writeFrame(frameHeader(4, RST_STREAM, 0, streamId), u32(code));
    this.recentlyClosed.add(streamId);
  }

  /** True once the peer acknowledged our SETTINGS (diagnostics only). */
  get ready(): boolean {
    return this.settingsAcked;
  }
}
