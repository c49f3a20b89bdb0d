/**
 * gRPC over our own HTTP/2 engine (h2.ts): length-prefixed messages, status trailers (grpc-status,
 * grpc-message, grpc-status-details-bin), grpc-timeout deadlines, cancellation, max message size, graceful
 * GOAWAY drain. It hosts grpc-js-shaped service implementations (`handleUnaryCall` and duplex handlers with
 * `on('data')`/`write`/`end`/`emit('error')`), so the services are written once for both engines.
 *
 * Codecs are the per-method serialize/deserialize functions of the loaded descriptors, looked up once at
 * `addService`; per call there is no reflection.
 */
import { EventEmitter } from 'node:events';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { H2Connection, ErrorCode as H2Error, type H2Options, type H2Stream } from './h2.js';
import { encodeLiteral, encodeStatus } from './hpack.js';

// gRPC status codes used by the transport itself
const UNKNOWN = 2;
const INVALID_ARGUMENT = 3;
const DEADLINE_EXCEEDED = 4;
const RESOURCE_EXHAUSTED = 8;
const UNIMPLEMENTED = 12;
const INTERNAL = 13;

export interface MethodShape {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestDeserialize(bytes: Buffer): unknown;
  responseSerialize(value: unknown): Buffer;
}

type AnyHandler = (...args: never[]) => unknown;

interface Route {
  method: MethodShape;
  handler: AnyHandler;
}

/** The metadata view handlers get: grpc-js' `Metadata.get` semantics (Buffers for `-bin` keys). */
export class CallMetadata {
  constructor(private readonly headers: string[]) {}

  get(key: string): (string | Buffer)[] {
    const h = this.headers;
    const name = key.toLowerCase();
    const values: (string | Buffer)[] = [];
    const binary = name.endsWith('-bin');
    for (let i = 0; i < h.length; i += 2) {
      if (h[i] !== name) continue;
      const value = h[i + 1]!;
      if (binary) for (const part of value.split(',')) values.push(Buffer.from(part.trim(), 'base64'));
      else values.push(value);
    }
    return values;
  }

  getMap(): Record<string, string | Buffer> {
    const map: Record<string, string | Buffer> = {};
    const h = this.headers;
    for (let i = 0; i < h.length; i += 2) {
      const name = h[i]!;
      if (name.startsWith(':')) continue;
      map[name] ??= this.get(name)[0]!;
    }
    return map;
  }
}

interface StatusError {
  code?: number;
  details?: string;
  message?: string;
  metadata?: { getMap?(): Record<string, string | Buffer> };
}

// ---------- header blocks ----------

const RESPONSE_HEADERS = Buffer.concat([encodeStatus(200), encodeLiteral('content-type', 'application/grpc')]);
const OK_TRAILERS = encodeLiteral('grpc-status', '0');

/**
 * Percent-encoding of grpc-message (gRPC HTTP/2 protocol: bytes outside 0x20–0x7E, and '%'). A leading or trailing
 * space is encoded too: HTTP/2 field values may not start or end with whitespace, and nghttp2-based clients (Node's
 * http2, so grpc-js) drop such a header, losing the message.
 */
export function encodeGrpcMessage(message: string): string {
  const encoded = percentEncode(message);
  if (!encoded.startsWith(' ') && !encoded.endsWith(' ')) return encoded;
  return encoded.replace(/^ +| +$/g, (spaces) => '%20'.repeat(spaces.length));
}

function percentEncode(message: string): string {
  let plain = true;
  for (let i = 0; i < message.length; i++) {
    const c = message.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return message;
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out +=
      byte < 0x20 || byte > 0x7e || byte === 0x25
        ? `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
        : String.fromCharCode(byte);
  }
  return out;
}

function statusBlock(code: number, message: string, extra: Record<string, string | Buffer> | undefined): Buffer {
  if (code === 0 && message === '' && extra === undefined) return OK_TRAILERS;
  const parts = [encodeLiteral('grpc-status', String(code))];
  if (message) parts.push(encodeLiteral('grpc-message', encodeGrpcMessage(message)));
  if (extra !== undefined) {
    for (const [key, value] of Object.entries(extra)) {
      const name = key.toLowerCase();
      if (name === 'grpc-status' || name === 'grpc-message' || name.startsWith(':')) continue;
      const text = typeof value === 'string' ? value : Buffer.from(value).toString('base64').replace(/=+$/, '');
      parts.push(encodeLiteral(name, text));
    }
  }
  return Buffer.concat(parts);
}

/** grpc-timeout: 1–8 digits and a unit (H M S m u n); returns milliseconds, or undefined when absent/invalid. */
export function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (match === null) return undefined;
  const amount = Number(match[1]);
  const factor = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 }[match[2] as 'H'];
  return amount * factor;
}

// ---------- calls ----------

/** Shared per-call plumbing: message framing in, status out. */
class CallCore {
  private readonly prefix = Buffer.allocUnsafe(5);
  private prefixFill = 0;
  private expected = -1;
  private have = 0;
  private partial: Buffer | undefined;
  finished = false;
  cancelled = false;
  private timer: NodeJS.Timeout | undefined;
  onMessage: (message: unknown) => void = () => {};
  onHalfClose: () => void = () => {};
  onCancel: () => void = () => {};

  constructor(
    readonly stream: H2Stream,
    readonly route: Route,
    readonly metadata: CallMetadata,
    private readonly maxMessageBytes: number,
    timeoutMs: number | undefined,
  ) {
    stream.onData = (chunk) => this.data(chunk);
    stream.onEnd = () => {
      if (this.finished) return;
      if (this.midMessage) {
        this.fail(INVALID_ARGUMENT, `request for ${route.method.path} ended inside a truncated gRPC message`);
        return;
      }
      this.onHalfClose();
    };
    stream.onReset = () => this.cancel();
    if (timeoutMs !== undefined) {
      this.timer = setTimeout(() => {
        this.fail(DEADLINE_EXCEEDED, 'deadline exceeded');
        this.cancel();
      }, timeoutMs);
    }
  }

  private data(chunk: Buffer): void {
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
        const flag = this.prefix[0]!;
        if (flag !== 0) {
          this.fail(
            flag === 1 ? UNIMPLEMENTED : INVALID_ARGUMENT,
            flag === 1
              ? `compressed message on ${this.route.method.path}, but no grpc-encoding was negotiated`
              : `invalid gRPC message flag ${flag} on ${this.route.method.path}`,
          );
          return;
        }
        const size = this.prefix.readUInt32BE(1);
        if (size > this.maxMessageBytes) {
          this.fail(
            RESOURCE_EXHAUSTED,
            `received message larger than max (${size} vs. ${this.maxMessageBytes}) on ${this.route.method.path}`,
          );
          return;
        }
        this.expected = size;
        this.have = 0;
      }
      const take = Math.min(this.expected - this.have, length - pos);
      let bytes: Buffer;
      if (this.have === 0 && take === this.expected) {
        // The whole message in this chunk. Copied: a component may keep a bytes field, which must not pin the chunk.
        bytes = Buffer.from(chunk.subarray(pos, pos + take));
      } else {
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
      let message: unknown;
      try {
        message = this.route.method.requestDeserialize(bytes);
      } catch (err) {
        this.fail(
          INVALID_ARGUMENT,
          `cannot decode the request message of ${this.route.method.path}: ${(err as Error).message}`,
        );
        return;
      }
      this.onMessage(message);
    }
  }

  /** The response headers: the shared constant unless the handler sent metadata first (`sendMetadata`). */
  headerBlock: Buffer = RESPONSE_HEADERS;

  /** grpc-js' `call.sendMetadata`: extra response headers (`-bin` values base64), before the first message. */
  sendMetadata(metadata: { getMap(): Record<string, string | Buffer> }): void {
    if (this.finished || this.stream.responded) return;
    const pairs: [string, string][] = [];
    for (const [name, value] of Object.entries(metadata.getMap()))
      pairs.push([name, typeof value === 'string' ? value : value.toString('base64')]);
    if (pairs.length > 0) this.headerBlock = responseHeaderBlock(pairs, undefined);
  }

  /** Inside a message (or its 5-byte prefix). */
  private get midMessage(): boolean {
    return this.expected >= 0 || this.prefixFill > 0;
  }

  send(message: unknown): boolean {
    if (this.finished) return false;
    let payload: Buffer;
    try {
      payload = this.route.method.responseSerialize(message);
    } catch (err) {
      this.fail(INTERNAL, `cannot encode the response of ${this.route.method.path}: ${(err as Error).message}`);
      return false;
    }
    if (payload.length > this.maxMessageBytes) {
      this.fail(RESOURCE_EXHAUSTED, `response larger than max (${payload.length} vs. ${this.maxMessageBytes})`);
      return false;
    }
    if (!this.stream.responded) this.stream.respond(this.headerBlock);
    const framed = Buffer.allocUnsafe(5 + payload.length);
    framed[0] = 0;
    framed.writeUInt32BE(payload.length, 1);
    payload.copy(framed, 5);
    return this.stream.write(framed);
  }

  /** Ends the call with a status (OK or an error); idempotent. */
  finish(code: number, message: string, extra?: Record<string, string | Buffer>): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const stream = this.stream;
    if (stream.closed) return;
    const block = statusBlock(code, message, extra);
    if (!stream.responded) {
      stream.respond(Buffer.concat([this.headerBlock, block]), true);
    } else {
      stream.end(block);
    }
    // The client may still be sending (a request we rejected): stop it.
    if (!stream.remoteEnded && !stream.closed && stream.localEnded) stream.reset(H2Error.NO_ERROR);
  }

  fail(code: number, message: string, extra?: Record<string, string | Buffer>): void {
    this.finish(code, message, extra);
  }

  failWith(err: unknown): void {
    const e = (err ?? {}) as StatusError;
    const code = typeof e.code === 'number' && e.code >= 1 && e.code <= 16 ? e.code : UNKNOWN;
    const message = e.details ?? e.message ?? String(err);
    const extra = e.metadata?.getMap?.();
    this.finish(code, message, extra && Object.keys(extra).length > 0 ? extra : undefined);
  }

  private cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.finished = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (!this.stream.closed) this.stream.reset(H2Error.CANCEL);
    this.onCancel();
  }
}

class UnaryCall {
  request: unknown;
  constructor(private readonly core: CallCore) {}
  get metadata(): CallMetadata {
    return this.core.metadata;
  }
  get cancelled(): boolean {
    return this.core.cancelled;
  }
  getPath(): string {
    return this.core.route.method.path;
  }
  sendMetadata(metadata: { getMap(): Record<string, string | Buffer> }): void {
    this.core.sendMetadata(metadata);
  }
}

/** grpc-js' ServerDuplexStream surface that our services use. */
export class DuplexCall extends EventEmitter {
  /** The request of a server-streaming call. */
  request: unknown;
  constructor(private readonly core: CallCore) {
    super();
    core.onMessage = (message) => {
      super.emit('data', message);
    };
    core.onHalfClose = () => {
      super.emit('end');
    };
    core.onCancel = () => {
      super.emit('cancelled');
      super.emit('close');
    };
    core.stream.onDrain = () => {
      super.emit('drain');
    };
  }
  get metadata(): CallMetadata {
    return this.core.metadata;
  }
  get cancelled(): boolean {
    return this.core.cancelled;
  }
  getPath(): string {
    return this.core.route.method.path;
  }
  write(message: unknown): boolean {
    return this.core.send(message);
  }
  end(): void {
    if (this.core.finished) return;
    this.core.finish(0, '');
    queueMicrotask(() => super.emit('close'));
  }
  /** As on grpc-js server streams: emitting 'error' ends the call with that status. */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'error') {
      this.core.failWith(args[0]);
      if (this.listenerCount('error') > 0) super.emit('error', ...args);
      return true;
    }
    return super.emit(event, ...args);
  }
}

/**
 * A call to a method no service serves, handed to the fallback as raw bytes: the request body exactly as received
 * (gRPC length-prefixed messages, possibly split anywhere) and a response written the same way, so a proxy forwards
 * frames unchanged, streaming or not, without decoding them.
 */
export class RawCall {
  /** Request body bytes (a view valid during the callback only: copy to keep). */
  onData: (chunk: Buffer) => void = () => {};
  /** The client half-closed. */
  onEnd: () => void = () => {};
  /** The client reset the stream, the connection went away, or the deadline passed. */
  onCancel: () => void = () => {};
  /** Written response bytes went out (after `write` returned false). */
  onDrain: () => void = () => {};
  finished = false;
  private cancelledOnce = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: H2Stream,
    readonly metadata: CallMetadata,
    /** From grpc-timeout; the call fails with DEADLINE_EXCEEDED after it. */
    readonly timeoutMs: number | undefined,
  ) {
    stream.onData = (chunk) => {
      if (!this.finished) this.onData(chunk);
    };
    stream.onEnd = () => {
      if (!this.finished) this.onEnd();
    };
    stream.onReset = () => this.cancelled();
    stream.onDrain = () => this.onDrain();
    if (timeoutMs !== undefined) {
      this.timer = setTimeout(() => {
        this.finish(DEADLINE_EXCEEDED, 'deadline exceeded');
        this.cancelled();
      }, timeoutMs);
    }
  }

  get path(): string {
    return this.stream.path;
  }

  /** The request header list, flat `[name, value, ...]` (pseudo-headers first). */
  get headers(): readonly string[] {
    return this.stream.headers;
  }

  /** Response headers (`:status 200` and `content-type` are added unless given). */
  sendHeaders(pairs: readonly (readonly [string, string])[]): void {
    if (this.finished || this.stream.responded) return;
    this.stream.respond(responseHeaderBlock(pairs, undefined));
  }

  /** Response body bytes as they are (already gRPC-framed); false: wait for onDrain. */
  write(bytes: Buffer): boolean {
    if (this.finished) return false;
    if (!this.stream.responded) this.stream.respond(RESPONSE_HEADERS);
    return this.stream.write(bytes);
  }

  /** Ends the call with these trailers as they are (they must carry grpc-status). */
  finishRaw(trailers: readonly (readonly [string, string])[]): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const stream = this.stream;
    if (stream.closed) return;
    if (!stream.responded) stream.respond(responseHeaderBlock([], trailers), true);
    else stream.end(Buffer.concat(trailers.map(([name, value]) => encodeLiteral(name, value))));
    if (!stream.remoteEnded && !stream.closed && stream.localEnded) stream.reset(H2Error.NO_ERROR);
  }

  /** Ends the call with a status of our own. */
  finish(code: number, message: string): void {
    const trailers: [string, string][] = [['grpc-status', String(code)]];
    if (message) trailers.push(['grpc-message', encodeGrpcMessage(message)]);
    this.finishRaw(trailers);
  }

  private cancelled(): void {
    if (this.cancelledOnce) return;
    this.cancelledOnce = true;
    this.finished = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (!this.stream.closed) this.stream.reset(H2Error.CANCEL);
    this.onCancel();
  }
}

/** :status 200 and content-type unless the pairs carry them, the pairs, then (trailers-only) the trailers. */
function responseHeaderBlock(
  pairs: readonly (readonly [string, string])[],
  trailers: readonly (readonly [string, string])[] | undefined,
): Buffer {
  const parts = [encodeStatus(200)];
  const hasType = ([name]: readonly [string, string]) => name === 'content-type';
  if (!pairs.some(hasType) && !trailers?.some(hasType)) parts.push(encodeLiteral('content-type', 'application/grpc'));
  for (const [name, value] of pairs) if (name !== ':status') parts.push(encodeLiteral(name, value));
  if (trailers !== undefined) for (const [name, value] of trailers) parts.push(encodeLiteral(name, value));
  return Buffer.concat(parts);
}

// ---------- server ----------

export interface GrpcServerOptions {
  maxMessageBytes: number;
  h2?: Partial<H2Options>;
  /**
   * Runs first for every gRPC request, served or not (an API token check): a status ends the call before
   * routing, so an unauthenticated caller learns nothing about which methods exist.
   */
  authorize?: (metadata: CallMetadata) => { code: number; message: string } | undefined;
  /** Takes every method no service serves (gRPC proxy mode), raw frames in and out; without it: UNIMPLEMENTED. */
  fallback?: (call: RawCall) => void;
}

export type ListenTarget = { path: string } | { host: string; port: number };

export class GrpcServer {
  private readonly routes = new Map<string, Route>();
  private readonly connections = new Set<H2Connection>();
  private readonly servers: NetServer[] = [];
  private draining = false;

  constructor(private readonly options: GrpcServerOptions) {}

  /** Registers a service: `definition` maps method names to shapes (path + codecs), `implementation` to handlers. */
  addService(definition: Record<string, MethodShape>, implementation: Record<string, unknown>): void {
    for (const [name, method] of Object.entries(definition)) {
      const handler = implementation[name] ?? implementation[name.charAt(0).toLowerCase() + name.slice(1)];
      if (typeof handler !== 'function') continue; // answered UNIMPLEMENTED
      if (this.routes.has(method.path)) throw new Error(`method ${method.path} is registered twice`);
      this.routes.set(method.path, { method, handler: handler as AnyHandler });
    }
  }

  /** Listens on a unix socket path or a TCP host:port; resolves with the bound address (for port 0). */
  listen(target: ListenTarget): Promise<string | { port: number }> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      const done = () => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'string' || address === null ? String(address) : { port: address.port });
      };
      if ('path' in target) server.listen(target.path, done);
      else server.listen(target.port, target.host, done);
    });
  }

  private accept(socket: Socket): void {
    if (this.draining) {
      socket.destroy();
      return;
    }
    const conn = new H2Connection(socket, (stream) => this.dispatch(stream), this.options.h2);
    this.connections.add(conn);
    conn.onClose = () => this.connections.delete(conn);
  }

  private dispatch(stream: H2Stream): void {
    const contentType = stream.header('content-type');
    if (contentType === undefined || !contentType.startsWith('application/grpc')) {
      plainHttpAnswer(stream, contentType);
      return;
    }
    const metadata = new CallMetadata(stream.headers);
    const { authorize, fallback } = this.options;
    const denied = authorize === undefined ? undefined : authorize(metadata);
    const route = this.routes.get(stream.path);
    const timeoutMs = parseTimeout(stream.header('grpc-timeout'));
    if (denied !== undefined || route === undefined || stream.method !== 'POST') {
      if (denied === undefined && route === undefined && fallback !== undefined && stream.method === 'POST') {
        fallback(new RawCall(stream, metadata, timeoutMs));
        return;
      }
      const core = new CallCore(stream, PLACEHOLDER, metadata, this.options.maxMessageBytes, undefined);
      if (denied !== undefined) core.fail(denied.code, denied.message);
      else if (stream.method !== 'POST') core.fail(INTERNAL, `gRPC requires POST, got ${stream.method}`);
      else core.fail(UNIMPLEMENTED, `unknown method ${stream.path}`);
      return;
    }
    const encoding = stream.header('grpc-encoding');
    const core = new CallCore(stream, route, metadata, this.options.maxMessageBytes, timeoutMs);
    if (encoding !== undefined && encoding !== 'identity') {
      // We never compress and announce no grpc-accept-encoding, so a compressed request can only be an error.
      core.fail(UNIMPLEMENTED, `grpc-encoding '${encoding}' is not supported`);
      return;
    }
    const { requestStream, responseStream } = route.method;
    if (!requestStream && !responseStream) this.unary(core);
    else if (requestStream && responseStream) {
      (route.handler as (call: DuplexCall) => void)(new DuplexCall(core));
    } else if (responseStream) this.serverStream(core);
    else this.clientStream(core);
  }

  /** One request message, then the handler writes any number of responses (grpc-js ServerWritableStream). */
  private serverStream(core: CallCore): void {
    const call = new DuplexCall(core);
    let received = false;
    core.onMessage = (message) => {
      if (received) {
        core.fail(
          INVALID_ARGUMENT,
          `server-streaming method ${core.route.method.path} received a second request message`,
        );
        return;
      }
      received = true;
      call.request = message;
    };
    core.onHalfClose = () => {
      if (!received) {
        core.fail(INVALID_ARGUMENT, `server-streaming method ${core.route.method.path} received no request message`);
        return;
      }
      try {
        const result = (core.route.handler as (call: DuplexCall) => unknown)(call);
        if (result instanceof Promise) result.catch((err: unknown) => core.failWith(err));
      } catch (err) {
        core.failWith(err);
      }
    };
  }

  /** Request messages as 'data' events, then one response through the callback (grpc-js ServerReadableStream). */
  private clientStream(core: CallCore): void {
    const call = new DuplexCall(core);
    const callback = (err: unknown, response?: unknown) => {
      if (core.finished) return;
      if (err) {
        core.failWith(err);
        return;
      }
      core.send(response);
      core.finish(0, '');
    };
    try {
      const result = (core.route.handler as (call: DuplexCall, cb: typeof callback) => unknown)(call, callback);
      if (result instanceof Promise) result.catch((err: unknown) => callback(err));
    } catch (err) {
      callback(err);
    }
  }

  private unary(core: CallCore): void {
    const call = new UnaryCall(core);
    let received = false;
    core.onMessage = (message) => {
      if (received) {
        core.fail(INVALID_ARGUMENT, `unary method ${core.route.method.path} received a second request message`);
        return;
      }
      received = true;
      call.request = message;
    };
    core.onHalfClose = () => {
      if (!received) {
        core.fail(INVALID_ARGUMENT, `unary method ${core.route.method.path} received no request message`);
        return;
      }
      const callback = (err: unknown, response?: unknown) => {
        if (core.finished) return;
        if (err) {
          core.failWith(err);
          return;
        }
        core.send(response);
        core.finish(0, '');
      };
      try {
        const result = (core.route.handler as (call: UnaryCall, cb: typeof callback) => unknown)(call, callback);
        if (result instanceof Promise) result.catch((err: unknown) => callback(err));
      } catch (err) {
        callback(err);
      }
    };
  }

  /** Graceful: GOAWAY to every connection, listeners closed; resolves when every connection has drained. */
  tryShutdown(callback: () => void): void {
    this.draining = true;
    const servers = this.servers.splice(0);
    let waiting = servers.length + 1;
    const step = () => {
      if (--waiting === 0) callback();
    };
    for (const server of servers) server.close(() => step());
    const conns = [...this.connections];
    if (conns.length === 0) step();
    else {
      let open = conns.length;
      for (const conn of conns) {
        const previous = conn.onClose;
        conn.onClose = () => {
          previous?.();
          if (--open === 0) step();
        };
        conn.shutdown();
      }
    }
  }

  forceShutdown(): void {
    this.draining = true;
    for (const server of this.servers.splice(0)) server.close();
    for (const conn of [...this.connections]) conn.destroy();
    this.connections.clear();
  }

  get connectionCount(): number {
    return this.connections.size;
  }
}

const PLACEHOLDER: Route = {
  method: {
    path: '',
    requestStream: false,
    responseStream: false,
    requestDeserialize: (b) => b,
    responseSerialize: (v) => v as Buffer,
  },
  handler: () => undefined,
};

const PLAIN_BODY = Buffer.from('this is a gRPC server (daprkit): send content-type application/grpc\n');
const PLAIN_HEADERS = Buffer.concat([
  encodeStatus(415),
  encodeLiteral('content-type', 'text/plain; charset=utf-8'),
  encodeLiteral('content-length', String(PLAIN_BODY.length)),
]);

/** Not a gRPC request: HTTP 415 with a short text body once the request is complete (HEAD gets no body). */
function plainHttpAnswer(stream: H2Stream, _contentType: string | undefined): void {
  stream.onData = () => {};
  stream.onEnd = () => {
    if (stream.closed) return;
    if (stream.method === 'HEAD') {
      stream.respond(PLAIN_HEADERS, true);
      return;
    }
    stream.respond(PLAIN_HEADERS);
    stream.write(PLAIN_BODY);
    stream.end(Buffer.alloc(0));
  };
}
