import type { Component, Metadata } from './common.js';

/** Feature strings exactly as Dapr spells them (components-contrib pubsub/feature.go). */
export const PubSubFeature = {
  MessageTTL: 'MESSAGE_TTL',
  SubscribeWildcards: 'SUBSCRIBE_WILDCARDS',
  BulkPublish: 'BULK_PUBSUB',
  BulkSubscribeImmediate: 'BULK_SUBSCRIBE_IMMEDIATE',
} as const;
export type PubSubFeature = (typeof PubSubFeature)[keyof typeof PubSubFeature];

export interface PublishRequest {
  /** Payload, normally a CloudEvent JSON envelope; stored and redelivered byte for byte. */
  data: Uint8Array;
  pubsubName: string;
  topic: string;
  metadata: Metadata;
  contentType?: string;
}

export interface BulkMessageEntry {
  entryId: string;
  event: Uint8Array;
  contentType?: string;
  metadata: Metadata;
}

export interface BulkPublishRequest {
  entries: BulkMessageEntry[];
  pubsubName: string;
  topic: string;
  metadata: Metadata;
}

export interface BulkPublishResponse {
  /** Only the failed entries, with the request's exact `entryId`. Empty = all published. */
  failedEntries: { entryId: string; error: string }[];
}

export interface SubscribeRequest {
  topic: string;
  /** The subscription's metadata (e.g. `rawPayload`). */
  metadata: Metadata;
}

export interface PubSubMessage {
  data: Uint8Array;
  topic: string;
  metadata: Metadata;
  contentType?: string;
}

/**
 * Handles one message. Resolving acknowledges it; rejecting is a negative ack: the component must make the
 * message available again (at-least-once), unless it was stopped.
 */
export type MessageHandler = (message: PubSubMessage) => Promise<void>;

export interface PubSub extends Component {
  features(): readonly PubSubFeature[];
  publish(request: PublishRequest): Promise<void>;
  /**
   * Start delivering the topic's messages to the handler and return once the subscription is attached
   * (must not block for the subscription's lifetime). Delivery stops when `signal` aborts; messages not yet
   * acknowledged then stay available for a later subscription where the broker allows it.
   */
  subscribe(request: SubscribeRequest, handler: MessageHandler, signal: AbortSignal): Promise<void>;
  /** Adds `BULK_PUBSUB`. */
  bulkPublish?(request: BulkPublishRequest): Promise<BulkPublishResponse>;
  /** Stop handing new messages to subscribers, keeping sessions alive; idempotent. */
  pause?(): Promise<void>;
  resume?(): Promise<void>;
}

export function isBulkPublisher(pubsub: PubSub): pubsub is PubSub & Required<Pick<PubSub, 'bulkPublish'>> {
  return typeof pubsub.bulkPublish === 'function';
}
