/**
 * W3C trace context (https://www.w3.org/TR/trace-context/) and the OpenCensus binary form daprd uses in gRPC
 * `grpc-trace-bin`, parsed and written without the OpenTelemetry SDK: propagation is on by default (spec §5.1),
 * so this is what every traced call pays for, and it stays small.
 */
import { randomFillSync } from 'node:crypto';

import type { TraceContext } from '../shared/trace.js';

export type { TraceContext } from '../shared/trace.js';

export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';
export const GRPC_TRACE_BIN = 'grpc-trace-bin';
/** daprd sends `tracestate` on only when it is at most this long (diagConsts.MaxTracestateLen). */
export const MAX_TRACESTATE_LENGTH = 512;

const HEX = /^[0-9a-f]+$/;
const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';

export function isSampled(context: TraceContext): boolean {
  return (context.flags & 1) === 1;
}

/**
 * A `traceparent` header as a context, or undefined when absent or invalid (then a new root trace starts, as
 * daprd does). Version `00` must be exactly 55 characters; a later version may carry more after the flags.
 */
export function parseTraceparent(value: unknown, tracestate: unknown = ''): TraceContext | undefined {
  if (typeof value !== 'string' || value.length < 55) return undefined;
  const header = value.trim();
  const version = header.slice(0, 2);
  if (version === 'ff' || !HEX.test(version)) return undefined;
  if (version === '00' ? header.length !== 55 : header.length > 55 && header[55] !== '-') return undefined;
  if (header[2] !== '-' || header[35] !== '-' || header[52] !== '-') return undefined;
  const traceId = header.slice(3, 35);
  const spanId = header.slice(36, 52);
  const flags = header.slice(53, 55);
  if (!HEX.test(traceId) || !HEX.test(spanId) || !HEX.test(flags)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, flags: Number.parseInt(flags, 16), tracestate: cleanTracestate(tracestate) };
}

/** A tracestate list that can be sent on as a header; anything else is dropped (the list is advisory). */
function cleanTracestate(value: unknown): string {
  if (typeof value !== 'string' || value === '') return '';
  const trimmed = value.trim();
  return /^[\x20-\x7e]*$/.test(trimmed) ? trimmed : '';
}

export function formatTraceparent(context: TraceContext): string {
  const { flags } = context;
  const hex = flags === 1 ? '01' : flags === 0 ? '00' : `${flags < 16 ? '0' : ''}${flags.toString(16)}`;
  return `00-${context.traceId}-${context.spanId}-${hex}`;
}

/** `tracestate` as an outgoing header value, or undefined when empty or too long to send (daprd's rule). */
export function outgoingTracestate(context: TraceContext): string | undefined {
  const { tracestate } = context;
  return tracestate !== '' && tracestate.length <= MAX_TRACESTATE_LENGTH ? tracestate : undefined;
}

/**
 * `grpc-trace-bin`: version 0, then field 0 = trace id (16 bytes), field 1 = span id (8 bytes), field 2 = options
 * (1 byte), 29 bytes in all (daprd diagUtils.BinaryFromSpanContext). Fields after the trace id are optional.
 */
export function parseGrpcTraceBin(value: unknown): TraceContext | undefined {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  if (!Buffer.isBuffer(bytes) || bytes.length < 18 || bytes[0] !== 0 || bytes[1] !== 0) return undefined;
  const traceId = bytes.toString('hex', 2, 18);
  let spanId = '';
  let flags = 0;
  let at = 18;
  if (bytes[at] === 1 && bytes.length >= at + 9) {
    spanId = bytes.toString('hex', at + 1, at + 9);
    at += 9;
  }
  if (bytes[at] === 2 && bytes.length >= at + 2) flags = bytes[at + 1]! & 1;
  if (traceId === ZERO_TRACE || spanId === '' || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, flags, tracestate: '' };
}

export function grpcTraceBin(context: TraceContext): Buffer {
  const out = Buffer.allocUnsafe(29);
  out[0] = 0;
  out[1] = 0;
  out.write(context.traceId, 2, 16, 'hex');
  out[18] = 1;
  out.write(context.spanId, 19, 8, 'hex');
  out[27] = 2;
  out[28] = context.flags & 0xff;
  return out;
}

// Random ids from a pooled hex string: one randomFillSync and one hex conversion per 256 ids, then each id is a
// substring (cheap in V8) instead of a Buffer-to-hex call per span.
const POOL = Buffer.allocUnsafe(4096);
let hexPool = '';
let poolAt = 0;

function randomHex(chars: number): string {
  if (poolAt + chars > hexPool.length) {
    randomFillSync(POOL);
    hexPool = POOL.toString('hex');
    poolAt = 0;
  }
  const hex = hexPool.slice(poolAt, poolAt + chars);
  poolAt += chars;
  return hex;
}

export function newTraceId(): string {
  const id = randomHex(32);
  return id === ZERO_TRACE ? newTraceId() : id;
}

export function newSpanId(): string {
  const id = randomHex(16);
  return id === ZERO_SPAN ? newSpanId() : id;
}
