/**
 * What the sidecar needs from the app, whatever the protocol: one AppChannel interface, implemented over HTTP
 * (http-app.ts) and over gRPC `AppCallback` (grpc-app.ts). The Runtime carries the channel, so any API can reach
 * the app through it.
 */
import type { Logger, Metadata } from '@daprkit/component-sdk';
import type { TraceContext } from '../observability/trace-context.js';
import type { SubscriptionResource } from '../resources/types.js';
import type { InvokeCall, InvokeResult } from '../shared/invocation.js';
import { GrpcAppDelivery } from './grpc-app.js';
import { HttpAppDelivery } from './http-app.js';

export type AppProtocol = 'http' | 'grpc';

/** Where the app listens and how to talk to it (shown by the metadata API). */
export interface AppConnection {
  port?: number;
  protocol: AppProtocol;
  channelAddress: string;
}

export type DeliveryOutcome = 'success' | 'retry' | 'drop';

export interface TopicEventDelivery {
  pubsubName: string;
  topic: string;
  /** The matched rule's path. */
  path: string;
  /** The event as a map (routing, gRPC fields). */
  event: Record<string, unknown>;
  /** The bytes an HTTP app receives. */
  body: Uint8Array;
  /** Message metadata (always with `pubsubName`), forwarded as headers / gRPC metadata. */
  metadata: Metadata;
  /** The delivery span's context, sent as `traceparent`/`tracestate` (+ `grpc-trace-bin`); none when tracing is off. */
  trace?: TraceContext | undefined;
}

export interface AppChannel {
  /** Programmatic subscriptions; undefined = the answer was unusable and no subscription may start. */
  listSubscriptions(): Promise<SubscriptionResource[] | undefined>;
  deliverTopicEvent(delivery: TopicEventDelivery): Promise<DeliveryOutcome>;
  /** Whether the app wants events of this input binding. */
  wantsInputBinding(name: string, route: string): Promise<boolean>;
  /** Delivers one binding event; resolves with the app's reply, rejects when the app failed. */
  deliverBindingEvent(
    name: string,
    route: string,
    data: Uint8Array,
    metadata: Metadata,
    trace?: TraceContext,
  ): Promise<Uint8Array | undefined>;
  /** Service invocation delivered to the app (spec sidecar-wave2 §1.3); rejects when the app is unreachable. */
  invoke(call: InvokeCall): Promise<InvokeResult>;
  close(): void;
}

/** The channel for an app on `connection.port`; nothing is dialled until the first call. */
export function createAppChannel(
  connection: AppConnection & { port: number },
  options: { appId: string; appApiToken: string | undefined; logger: Logger },
): AppChannel {
  const { port, channelAddress: host } = connection;
  return connection.protocol === 'grpc'
    ? new GrpcAppDelivery(host, port, options.appApiToken, options.logger)
    : new HttpAppDelivery(host, port, options.appId, options.appApiToken, options.logger);
}
