/**
 * The outbox's write path (spec §5.2): for each upsert, publish the event to the internal topic first, then add an
 * insert-only marker `outbox-<uuid>` = `"0"` to the same transaction. Insert-only (first-write) is our one addition:
 * it lets the relay fence a marker that never appeared, so a late commit fails instead of going unpublished.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, isTruthy, type SetRequest, type TransactionOperation } from '@daprkit/component-sdk';
import { CLOUDEVENT_CONTENT_TYPE } from '../api/cloudevents.js';
import { ApiError, errorInfo, errorText } from '../api/errors.js';
import { type PublishContext, publishTarget } from '../api/publish.js';
import type { OutboxConfig } from './config.js';
import { crashPoint } from './crash-points.js';
import { outboxEvent, type ValueEncoding } from './event.js';

export const MARKER_PREFIX = 'outbox-';
/** daprd writes the JSON string "0"; its relay only checks that the value is non-empty. */
export const COMMITTED_MARKER_VALUE = Buffer.from('"0"');

export interface OutboxWriteInput {
  config: OutboxConfig;
  /** Prefixed and validated. */
  operations: TransactionOperation[];
  encoding: ValueEncoding;
  traceid?: string;
  tracestate?: string;
}

function outboxPublishError(context: PublishContext, error: unknown): ApiError {
  const text = errorText(error);
  return new ApiError(500, 'ERR_PUBLISH_OUTBOX', `error while publishing outbox message: ${text}`, ErrorCode.Internal, [
    errorInfo('DAPR_PUBSUB_OUTBOX', { appID: context.appId, error: text }),
  ]);
}

async function publishInternal(context: PublishContext, config: OutboxConfig, event: Buffer): Promise<void> {
  try {
    if (!context.components.pubsub.has(config.internalPubsub))
      throw new Error(`pubsub '${config.internalPubsub}' not found`);
    const entry = publishTarget(context, config.internalPubsub, config.internalTopic, {});
    await entry.pubsub.publish({
      data: event,
      contentType: CLOUDEVENT_CONTENT_TYPE,
      pubsubName: config.internalPubsub,
      topic: config.internalTopic,
      metadata: {},
    });
  } catch (error) {
    throw outboxPublishError(context, error);
  }
}

/** Publishes one internal event per upsert and returns the operations to commit: projections out, markers in. */
export async function prepareOutboxTransaction(
  context: PublishContext,
  input: OutboxWriteInput,
): Promise<TransactionOperation[]> {
  const { config } = input;
  const projections = new Map<string, SetRequest>();
  const kept: TransactionOperation[] = [];
  for (const op of input.operations) {
    if (op.operation === 'upsert' && isTruthy(op.request.metadata['outbox.projection']))
      projections.set(op.request.key, op.request);
    else kept.push(op);
  }
  const markers: TransactionOperation[] = [];
  for (const op of kept) {
    if (op.operation !== 'upsert') continue;
    const markerKey = `${MARKER_PREFIX}${randomUUID()}`;
    const event = outboxEvent({
      markerKey,
      appId: context.appId,
      internalPubsub: config.internalPubsub,
      upsert: op.request,
      projection: projections.get(op.request.key),
      encoding: input.encoding,
      traceid: input.traceid ?? '',
      tracestate: input.tracestate ?? '',
    });
    await publishInternal(context, config, event);
    markers.push({
      operation: 'upsert',
      request: {
        key: markerKey,
        value: COMMITTED_MARKER_VALUE,
        metadata: {},
        options: { concurrency: 'first-write' },
      },
    });
  }
  if (markers.length > 0) crashPoint('after-internal-publish');
  return [...kept, ...markers];
}
