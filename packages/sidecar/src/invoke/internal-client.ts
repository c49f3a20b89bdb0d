/**
 * The sidecar-to-sidecar client (spec sidecar-wave2 §2.2, §2.4): one connection per resolved `host:port`, reused;
 * CallLocalStream first, CallLocal when the callee answers UNIMPLEMENTED (the body is always buffered here, so
 * it can be replayed). Connections idle for 3 minutes are closed.
 */

import { type ClientError, GrpcClient } from '@daprkit/component-sdk/transport';
import { grpcTraceHeaderPairs } from '../observability/propagation.js';
import { GRPC, type InvokeCall, InvokeError, type InvokeResult, MAX_INVOKE_BODY_BYTES } from '../shared/invocation.js';
import {
  fromWireResponse,
  internalMethods,
  SERVICE,
  toWireRequest,
  type WireInternalResponse,
  type WireStreamPayload,
} from './internal-proto.js';

const STREAM_PATH = `/${SERVICE}/CallLocalStream`;
const UNARY_PATH = `/${SERVICE}/CallLocal`;
/** daprd's request chunk size. */
const REQUEST_CHUNK = 2048;
const IDLE_MS = 3 * 60_000;

interface Pooled {
  client: GrpcClient;
  lastUsed: number;
  /** Set once the peer answered CallLocalStream with UNIMPLEMENTED: go unary straight away. */
  unaryOnly: boolean;
}

/** `host:port` with an optional bracketed IPv6 host (and daprd mDNS' unbracketed IPv6 form). */
export function parseAddress(address: string): { host: string; port: number } {
  const m = /^\[(.+)\]:(\d+)$/.exec(address) ?? /^(.+):(\d+)$/.exec(address);
  if (!m) throw new InvokeError(GRPC.INTERNAL, `invalid address '${address}'`);
  return { host: m[1]!, port: Number(m[2]) };
}

export class InternalClient {
  private readonly pool = new Map<string, Pooled>();
  private readonly sweeper: NodeJS.Timeout;

  constructor() {
    this.sweeper = setInterval(() => this.sweep(), 45_000);
    this.sweeper.unref();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [address, pooled] of this.pool) {
      if (now - pooled.lastUsed > IDLE_MS) {
        pooled.client.close();
        this.pool.delete(address);
      }
    }
  }

  private pooled(address: string): Pooled {
    let pooled = this.pool.get(address);
    if (pooled === undefined) {
      const client = new GrpcClient(parseAddress(address), {
        maxMessageBytes: MAX_INVOKE_BODY_BYTES + (64 << 10),
        metadata: [],
      });
      pooled = { client, lastUsed: 0, unaryOnly: false };
      this.pool.set(address, pooled);
    }
    pooled.lastUsed = Date.now();
    return pooled;
  }

  /** Drops the connection to `address` (after UNAVAILABLE/UNAUTHENTICATED, as daprd does). */
  forget(address: string): void {
    this.pool.get(address)?.client.close();
    this.pool.delete(address);
  }

  async call(address: string, call: InvokeCall): Promise<InvokeResult> {
    const pooled = this.pooled(address);
    if (!pooled.unaryOnly) {
      try {
        return await this.stream(pooled.client, call);
      } catch (error) {
        if ((error as ClientError).code !== GRPC.UNIMPLEMENTED) throw asInvokeError(error);
        pooled.unaryOnly = true;
      }
    }
    const methods = internalMethods();
    try {
      const bytes = await pooled.client.unary(
        UNARY_PATH,
        methods.CallLocal.requestSerialize(toWireRequest(call, true)),
        undefined,
        traceOf(call),
      );
      return fromWireResponse(methods.CallLocal.responseDeserialize(bytes) as WireInternalResponse);
    } catch (error) {
      throw asInvokeError(error);
    }
  }

  private stream(client: GrpcClient, call: InvokeCall): Promise<InvokeResult> {
    const method = internalMethods().CallLocalStream;
    return new Promise((resolve, reject) => {
      const duplex = client.bidi(
        STREAM_PATH,
        (v) => method.requestSerialize(v),
        (b) => method.responseDeserialize(b),
        traceOf(call),
      );
      let leading: WireInternalResponse | undefined;
      const chunks: Buffer[] = [];
      duplex.on('data', (chunk: { response: WireInternalResponse | null; payload: WireStreamPayload | null }) => {
        if (leading === undefined) leading = chunk.response ?? undefined;
        if (chunk.payload !== null && chunk.payload.data.length > 0) chunks.push(chunk.payload.data);
      });
      duplex.on('error', reject);
      duplex.on('status', (status: { code: number }) => {
        if (status.code !== GRPC.OK) return;
        if (leading === undefined)
          return reject(
            new InvokeError(GRPC.INTERNAL, 'response does not contain the required fields in the leading chunk'),
          );
        try {
          resolve(fromWireResponse(leading, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
        } catch (error) {
          reject(error);
        }
      });
      const body = call.body;
      duplex.write({
        request: toWireRequest(call, false),
        payload: body.length > 0 ? { data: body.subarray(0, REQUEST_CHUNK), seq: 0 } : null,
      });
      let seq = 1;
      for (let at = REQUEST_CHUNK; at < body.length; at += REQUEST_CHUNK)
        duplex.write({ request: null, payload: { data: body.subarray(at, at + REQUEST_CHUNK), seq: seq++ } });
      duplex.end();
    });
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const pooled of this.pool.values()) pooled.client.close();
    this.pool.clear();
  }
}

/** The call's span as gRPC metadata (`traceparent`, `grpc-trace-bin`, `tracestate`), as daprd sends it. */
function traceOf(call: InvokeCall): [string, string][] | undefined {
  return call.trace === undefined ? undefined : grpcTraceHeaderPairs(call.trace);
}

function asInvokeError(error: unknown): InvokeError {
  if (error instanceof InvokeError) return error;
  const e = error as ClientError;
  return new InvokeError(typeof e.code === 'number' ? e.code : GRPC.INTERNAL, e.details ?? String(error));
}
