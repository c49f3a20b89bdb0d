/**
 * `dapr.proto.internals.v1.ServiceInvocation` (spec sidecar-wave2 §2.1), from the build-time proto JSON, and the
 * conversion between its messages and InvokeCall/InvokeResult.
 */
import type { MethodShape } from '@daprkit/component-sdk/transport';
import {
  GRPC,
  type HeaderMap,
  type InvokeCall,
  InvokeError,
  type InvokeResult,
  VERBS,
  verbNumber,
} from '../shared/invocation.js';
import { runtimeService } from '../shared/runtime-proto.js';
import { normalizeMethod } from './method.js';

export const SERVICE = 'dapr.proto.internals.v1.ServiceInvocation';

export type InternalMethods = Record<
  'CallActor' | 'CallLocal' | 'CallActorReminder' | 'CallLocalStream' | 'CallActorStream',
  MethodShape & { requestSerialize(v: unknown): Buffer; responseDeserialize(b: Buffer): unknown }
>;

/** From proto/runtime.json (compiled at build time, scripts/runtime-proto-json.mjs): no .proto parsing at start. */
export function internalMethods(): InternalMethods {
  return runtimeService(SERVICE) as unknown as InternalMethods;
}

export interface WireAny {
  type_url: string;
  value: Buffer;
}
type WireMap = Record<string, { values: string[] }>;

export interface WireInvokeRequest {
  method: string;
  data: WireAny | null;
  content_type: string;
  http_extension: { verb: number; querystring: string } | null;
}

export interface WireInternalRequest {
  ver: number;
  metadata: WireMap;
  message: WireInvokeRequest | null;
  actor: unknown;
}

export interface WireInternalResponse {
  status: { code: number; message: string; details: unknown[] } | null;
  headers: WireMap;
  trailers: WireMap;
  message: { data: WireAny | null; content_type: string } | null;
}

export interface WireStreamPayload {
  data: Buffer;
  seq: number;
}

function toWireMap(map: HeaderMap): WireMap {
  const out: WireMap = {};
  for (const key in map) out[key] = { values: map[key]! };
  return out;
}

function fromWireMap(map: WireMap | undefined): HeaderMap {
  const out: HeaderMap = {};
  for (const key in map ?? {}) out[key] = map![key]!.values;
  return out;
}

/** `withBody: false` leaves `message.data.value` empty (the leading chunk of CallLocalStream). */
export function toWireRequest(call: InvokeCall, withBody: boolean): WireInternalRequest {
  return {
    ver: 1,
    metadata: toWireMap(call.metadata),
    message: {
      method: call.method,
      data: { type_url: call.typeUrl, value: withBody ? call.body : Buffer.alloc(0) },
      content_type: call.contentType,
      http_extension: call.verb === 'NONE' ? null : { verb: verbNumber(call.verb), querystring: call.query },
    },
    actor: null,
  };
}

/** The callee's view of a request; `body` overrides `message.data` (streamed payload). */
export function fromWireRequest(request: WireInternalRequest, body?: Buffer): InvokeCall {
  if (request.ver !== 1) throw new InvokeError(GRPC.UNIMPLEMENTED, `Unsupported spec version: ${request.ver}`);
  const message = request.message;
  if (message === null) throw new InvokeError(GRPC.INVALID_ARGUMENT, 'missing message field');
  const ext = message.http_extension;
  return {
    // Normalised again on the callee (daprd: defence in depth, before access control and dispatch).
    method: normalizeMethod(message.method),
    verb: ext === null ? 'NONE' : (VERBS[ext.verb] ?? 'POST'),
    query: ext?.querystring ?? '',
    metadata: fromWireMap(request.metadata),
    contentType: message.content_type,
    body: body ?? message.data?.value ?? Buffer.alloc(0),
    typeUrl: message.data?.type_url ?? '',
  };
}

export function toWireResponse(result: InvokeResult, withBody: boolean): WireInternalResponse {
  return {
    status: { code: result.status, message: result.message, details: [] },
    headers: toWireMap(result.headers),
    trailers: toWireMap(result.trailers),
    message: {
      data: { type_url: result.typeUrl, value: withBody ? result.body : Buffer.alloc(0) },
      content_type: result.contentType,
    },
  };
}

export function fromWireResponse(response: WireInternalResponse, body?: Buffer): InvokeResult {
  if (response.status === null) throw new InvokeError(GRPC.INTERNAL, 'response does not contain the status');
  return {
    status: response.status.code,
    message: response.status.message,
    headers: fromWireMap(response.headers),
    trailers: fromWireMap(response.trailers),
    contentType: response.message?.content_type ?? '',
    body: body ?? response.message?.data?.value ?? Buffer.alloc(0),
    typeUrl: response.message?.data?.type_url ?? '',
  };
}
