/** What the sidecar needs from the app, whatever the protocol (HTTP here; gRPC AppCallback in grpc-app.ts). */
import type { Metadata } from '@daprkit/component-sdk';
import type { SubscriptionResource } from '../resources/types.js';

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
  ): Promise<Uint8Array | undefined>;
  close(): void;
}
