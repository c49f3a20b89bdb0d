/**
 * Service invocation in protocol-neutral terms (spec sidecar-wave2 §1–§2): what an API surface hands the invoker,
 * what travels between sidecars (mirrors `InternalInvokeRequest`/`InternalInvokeResponse`) and what the app answers.
 */
import type { TraceContext } from './trace.js';

/** Header/metadata values by name; names keep the case the origin gave them (compare case-insensitively). */
export type HeaderMap = Record<string, string[]>;

export interface InvokeCall {
  /** The normalised method (no leading `/`). */
  method: string;
  /** The HTTP verb in upper case (`HTTPExtension.Verb`); `NONE` when a gRPC caller gave no `http_extension`. */
  verb: string;
  /** The raw query string, without `?`. */
  query: string;
  metadata: HeaderMap;
  contentType: string;
  body: Buffer;
  /** `Any.type_url` of the data (gRPC callers); empty for HTTP bodies. */
  typeUrl: string;
  /** The span this call runs under, sent on as trace context (to the next sidecar or the app); none when off. */
  trace?: TraceContext | undefined;
}

export interface InvokeResult {
  /** ≥100: the HTTP status of an HTTP app; <100: the gRPC code of a gRPC app. */
  status: number;
  /** The gRPC status message (gRPC apps and callee errors). */
  message: string;
  headers: HeaderMap;
  trailers: HeaderMap;
  contentType: string;
  body: Buffer;
  typeUrl: string;
}

/** A failure of the invocation itself (not the app's answer), with the gRPC code daprd would report. */
export class InvokeError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'InvokeError';
  }
}

/** The largest body an invocation carries either way (daprd's `--max-body-size` default). */
export const MAX_INVOKE_BODY_BYTES = 4 << 20;

/** gRPC codes used by invocation. */
export const GRPC = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** `common.v1.HTTPExtension.Verb` by number. */
export const VERBS = ['NONE', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'] as const;

export function verbNumber(verb: string): number {
  const n = VERBS.indexOf(verb as (typeof VERBS)[number]);
  return n < 0 ? 3 : n;
}

/** The first value of a header, looked up case-insensitively. */
export function headerValue(headers: HeaderMap, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const key in headers) if (key.toLowerCase() === lower) return headers[key]![0];
  return undefined;
}
