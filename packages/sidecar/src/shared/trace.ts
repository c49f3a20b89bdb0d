/** A W3C trace context: shared by the APIs, invocation and observability (which builds and sends it). */
export interface TraceContext {
  /** 32 lowercase hex digits, never all zeros. */
  readonly traceId: string;
  /** 16 lowercase hex digits, never all zeros. */
  readonly spanId: string;
  /** W3C trace flags; bit 0 = sampled. */
  readonly flags: number;
  /** The W3C `tracestate` list as received (`''` when none). */
  readonly tracestate: string;
}
