import type { BulkMessageEntry, Metadata } from '@daprkit/component-sdk';
import type { BaseContext } from '../harness/case.js';
import type { DescribeOptions, SuiteOptions } from '../harness/types.js';

/**
 * Claimable pub/sub capabilities. Upstream's `bulksubscribe` has no counterpart: the pluggable protocol has no
 * bulk-subscribe RPC (daprd buffers the PullMessages stream itself), so the v1 contract has no such method.
 */
export type PubSubOperation = 'bulkpublish';

export interface PubSubConfig {
  /** Upstream keys (conformance.md §2.1), same names and defaults unless noted. */
  pubsubName?: string;
  testTopicName?: string;
  testMultiTopic1Name?: string;
  testMultiTopic2Name?: string;
  publishMetadata?: Metadata;
  subscribeMetadata?: Metadata;
  messageCount?: number;
  /** Budget per receive phase. Upstream 60 s; 30 s is ample for a healthy broker and halves a failing run. */
  maxReadDurationMs?: number;
  /** Pause before publishing so subscriptions can attach. Upstream 5 s; 1 s suits local brokers. */
  waitDurationToPublishMs?: number;
  checkInOrderProcessing?: boolean;
  /** How long the main handler sleeps before an injected failure (upstream 1 s). */
  simulatedErrorDelayMs?: number;

  /** [EXTENSION] topics: `<prefix>Redelivery`, `<prefix>NoLoss`, `<prefix>IsolationA|B|C`, `<prefix>BulkPartial`, `<prefix>Metadata`. */
  extensionTopicPrefix?: string;
  /** [EXTENSION] A rejected handler gets the message again (our contract). False only for brokers that cannot. */
  redeliversOnNack?: boolean;
  /** [EXTENSION] Messages published while a subscriber is live; all must arrive. */
  noLossMessageCount?: number;
  /** [EXTENSION] An entry this component fails to publish; without it the partial-failure case is not claimed. */
  bulkPublishFailingEntry?: () => BulkMessageEntry;
  /** [EXTENSION] Publish metadata reaches the subscriber's message metadata. */
  metadataRoundTrip?: boolean;
}

export type PubSubOptions = SuiteOptions<'pubsub', PubSubOperation, PubSubConfig>;
export type DescribePubSubOptions = PubSubOptions & DescribeOptions;

type ResolvedPubSubConfig = Required<Omit<PubSubConfig, 'bulkPublishFailingEntry'>> &
  Pick<PubSubConfig, 'bulkPublishFailingEntry'>;

export const PUBSUB_DEFAULTS: ResolvedPubSubConfig = {
  pubsubName: 'pubusub',
  testTopicName: 'testTopic',
  testMultiTopic1Name: 'multiTopic1',
  testMultiTopic2Name: 'multiTopic2',
  publishMetadata: {},
  subscribeMetadata: {},
  messageCount: 10,
  maxReadDurationMs: 30_000,
  waitDurationToPublishMs: 1_000,
  checkInOrderProcessing: true,
  simulatedErrorDelayMs: 1_000,
  extensionTopicPrefix: 'conformanceExt',
  redeliversOnNack: true,
  noLossMessageCount: 1_000,
  metadataRoundTrip: false,
};

/** Bookkeeping of the main topic's error-injecting handler (conformance.md §2.2). */
export interface MainTopicState {
  awaiting: Set<number>;
  processed: Set<number>;
  deliveries: number;
  injectedErrors: number;
  lastSeen: number;
  outOfOrder: boolean;
  /** Deliveries the handler could not make sense of (non-numeric payloads with our prefix). */
  violations: string[];
}

export interface PubSubContext extends BaseContext<'pubsub'> {
  readonly claims: ReadonlySet<PubSubOperation>;
  readonly config: ResolvedPubSubConfig;
  readonly properties: Metadata;
  /** `message-<runId>-`: anything without it is foreign traffic and acknowledged untouched. */
  readonly prefix: string;
  readonly main: MainTopicState;
  /** Every subscription opened, aborted at teardown. */
  readonly subscriptions: AbortController[];
  /** The two multi-handler subscriptions and what each received in the current round. */
  readonly multi: { controllers: AbortController[]; received: Map<string, number[]> };
}
