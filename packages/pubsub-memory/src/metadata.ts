import { field, InvalidMetadataError, type Metadata, parseMetadata } from '@daprkit/component-sdk';

/**
 * Component metadata (YAML `spec.metadata`). Unknown keys are ignored: daprd always passes `consumerID`.
 * Durations take Go syntax (`250ms`, `2s`) or bare seconds.
 */
export const memoryPubSubMetadataSchema = {
  redeliveryDelay: field.duration({
    default: 100,
    min: 0,
    description: 'Wait before redelivering a message its handler rejected; doubles on each further failure.',
  }),
  maxRedeliveryDelay: field.duration({
    default: 5000,
    min: 0,
    description: 'Upper bound of the doubling redelivery delay.',
  }),
  maxRedeliveries: field.int({
    default: 0,
    min: 0,
    description: 'Redeliveries of one message before it is dropped with a warning; 0 means retry until it succeeds.',
  }),
  maxQueuedMessages: field.int({
    default: 10_000,
    min: 1,
    description: 'Messages one subscription may hold undelivered; a publish to a full queue waits for room.',
  }),
  maxQueuedBytes: field.int({
    default: 64 << 20,
    min: 1,
    description:
      'Data bytes one subscription may hold undelivered (a larger single message is still taken into an empty queue).',
  }),
  publishTimeout: field.duration({
    default: 5000,
    min: 0,
    description:
      'How long a publish waits for room in a full queue before it fails with RESOURCE_EXHAUSTED; 0 fails at once.',
  }),
};

/** How much one subscription may hold, and how long a publisher waits for room. */
export interface QueueLimits {
  maxMessages: number;
  maxBytes: number;
  publishTimeoutMs: number;
}

export function queueLimitsOf(properties: Metadata): QueueLimits {
  const metadata = parseMetadata(properties, memoryPubSubMetadataSchema);
  return {
    maxMessages: metadata.maxQueuedMessages,
    maxBytes: metadata.maxQueuedBytes,
    publishTimeoutMs: metadata.publishTimeout,
  };
}

export interface RedeliveryPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  /** 0 = unlimited. */
  maxRedeliveries: number;
}

export function redeliveryPolicyOf(properties: Metadata): RedeliveryPolicy {
  const metadata = parseMetadata(properties, memoryPubSubMetadataSchema);
  const policy = {
    initialDelayMs: metadata.redeliveryDelay,
    maxDelayMs: metadata.maxRedeliveryDelay,
    maxRedeliveries: metadata.maxRedeliveries,
  };
  if (policy.maxDelayMs < policy.initialDelayMs) {
    throw new InvalidMetadataError(
      'maxRedeliveryDelay',
      `must be at least redeliveryDelay (${policy.initialDelayMs}ms)`,
    );
  }
  return policy;
}

/** Redelivery wait after the n-th consecutive failure (n ≥ 1): the initial delay, doubled per failure, capped. */
export function redeliveryDelayMs(policy: RedeliveryPolicy, failures: number): number {
  return Math.min(policy.initialDelayMs * 2 ** (failures - 1), policy.maxDelayMs);
}
