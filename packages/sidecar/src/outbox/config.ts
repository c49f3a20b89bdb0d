/** Which state stores have an outbox (spec §5.1) and the names their events travel under. */
import { isTruthy, type Metadata, parseDuration } from '@daprkit/component-sdk';

export interface OutboxConfig {
  /** Where the final event goes. */
  publishPubsub: string;
  publishTopic: string;
  /** Where the internal hand-off event goes (`outboxPubsub`, default `publishPubsub`). */
  internalPubsub: string;
  /** `<namespace><appId><publishTopic>outbox`: shared with daprd peers, so never change its shape. */
  internalTopic: string;
  /** Discard an event whose marker never appears at the first delivery instead of after a few redeliveries. */
  discardWhenMissingState: boolean;
  /** How long the relay waits for a marker before fencing it (daprkit extension; daprd: 1 s + 10 s). */
  missingStateTimeoutMs: number;
}

export const DEFAULT_MISSING_STATE_TIMEOUT_MS = 11_000;

/** daprd matches these names case-sensitively. Undefined when the outbox is off for the store. */
export function outboxConfigOf(properties: Metadata, appId: string): OutboxConfig | undefined {
  const publishPubsub = properties.outboxPublishPubsub ?? '';
  const publishTopic = properties.outboxPublishTopic ?? '';
  if (publishPubsub === '' || publishTopic === '') return undefined;
  const timeout = properties.outboxMissingStateTimeout;
  return {
    publishPubsub,
    publishTopic,
    internalPubsub: properties.outboxPubsub || publishPubsub,
    internalTopic: `${process.env.NAMESPACE || 'default'}${appId}${publishTopic}outbox`,
    discardWhenMissingState: isTruthy(properties.outboxDiscardWhenMissingState),
    missingStateTimeoutMs:
      (timeout ? parseDuration(timeout, 'milliseconds') : undefined) ?? DEFAULT_MISSING_STATE_TIMEOUT_MS,
  };
}
