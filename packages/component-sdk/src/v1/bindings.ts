import type { Component, Metadata } from './common.js';

export interface BindingEvent {
  data: Uint8Array;
  metadata: Metadata;
  contentType?: string;
}

/**
 * Handles one input event. Resolves with the app's response body (may be empty); rejecting means the app or
 * delivery failed, and the binding redelivers if its source supports it.
 */
export type BindingEventHandler = (event: BindingEvent) => Promise<Uint8Array | undefined>;

export interface InputBinding extends Component {
  /** Start delivering events and return; delivery stops when `signal` aborts. */
  read(handler: BindingEventHandler, signal: AbortSignal): Promise<void>;
}

export interface InvokeRequest {
  operation: string;
  data: Uint8Array;
  metadata: Metadata;
}

export interface InvokeResponse {
  data?: Uint8Array;
  metadata?: Metadata;
  contentType?: string;
}

export interface OutputBinding extends Component {
  /** The allow-list of operation names, exact and case-sensitive. */
  operations(): readonly string[];
  invoke(request: InvokeRequest): Promise<InvokeResponse>;
}
