/** The pub/sub suite: conformance.md §2.3 in upstream order, then our [EXTENSION] delivery guarantees. */
import { randomUUID } from 'node:crypto';
import type { ConformanceCase } from '../harness/case.js';
import { runSuite } from '../harness/run.js';
import type { SuiteSpec } from '../harness/session.js';
import type { CaseResult, Mode } from '../harness/types.js';
import {
  bulkPublishClaim,
  bulkPublishMain,
  close,
  init,
  ping,
  publishMain,
  subscribeMain,
  verifyMain,
} from './cases/core.js';
import { bulkPublishPartialFailure, isolation, metadataRoundTrip, noLoss, redelivery } from './cases/extensions.js';
import { multipleHandlers, stopSubscribers } from './cases/multi.js';
import { PUBSUB_DEFAULTS, type PubSubContext, type PubSubOptions } from './options.js';

export const PUBSUB_CASES: readonly ConformanceCase<PubSubContext>[] = [
  init,
  ping,
  bulkPublishClaim,
  subscribeMain,
  publishMain,
  bulkPublishMain,
  verifyMain,
  multipleHandlers,
  stopSubscribers,
  redelivery,
  noLoss,
  isolation,
  bulkPublishPartialFailure,
  metadataRoundTrip,
  close,
];

/** The suite's cases and per-mode context (shared by run* and the vitest entry). */
export function pubsubSpec(options: PubSubOptions): SuiteSpec<'pubsub', PubSubContext> {
  const config = { ...PUBSUB_DEFAULTS, ...options.config };
  return {
    kind: 'pubsub',
    cases: PUBSUB_CASES,
    abortOn: init.id,
    createContext: (mode: Mode) => ({
      mode,
      component: undefined as never,
      claims: new Set(options.operations ?? []),
      config,
      properties: { ...options.properties },
      prefix: `message-${randomUUID()}-`,
      main: {
        awaiting: new Set(),
        processed: new Set(),
        deliveries: 0,
        injectedErrors: 0,
        lastSeen: 0,
        outOfOrder: false,
        violations: [],
      },
      subscriptions: [],
      multi: { controllers: [], received: new Map() },
    }),
    teardown: async (context) => {
      for (const controller of context.subscriptions) controller.abort();
    },
  };
}

/** Runs every pub/sub case in each mode and resolves with the results; rejects when `definition` is not a pubsub. */
export function runPubSubConformance(options: PubSubOptions): Promise<CaseResult[]> {
  return runSuite('runPubSubConformance', pubsubSpec(options), options);
}

export type { DescribePubSubOptions, PubSubConfig, PubSubOperation, PubSubOptions } from './options.js';
