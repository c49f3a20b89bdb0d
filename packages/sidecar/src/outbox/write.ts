/**
 * The outbox's write path (spec §5.2): for each upsert, publish the event to the internal topic first, then add an
 * insert-only marker `outbox-<uuid>` = `"0"` to the same transaction. Insert-only (first-write) is our one addition:
 * it lets the relay fence a marker that never appeared, so a late commit fails instead of going unpublished.
 */

import { randomUUID } from 'node:crypto';
import { isTruthy, type SetRequest, type TransactionOperation } from '@daprkit/component-sdk';
import { type PublishContext, publishTarget } from '../api/publish.js';
import type { TransactionHook, ValueEncoding } from '../api/transaction.js';
import { formatTraceparent } from '../observability/trace-context.js';
import { type ApiError, apiError, errorText } from '../shared/errors.js';
import { CLOUDEVENT_CONTENT_TYPE } from '../shared/media-type.js';
import { type OutboxConfig, outboxConfigOf } from './config.js';
import type { CrashPoint } from './crash-points.js';
import { outboxEvent } from './event.js';

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
  return apiError('publishOutbox', {
    message: `error while publishing outbox message: ${text}`,
    info: { appID: context.appId, error: text },
  });
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
  crashPoint?: CrashPoint,
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
  if (markers.length > 0) crashPoint?.('after-internal-publish');
  return [...kept, ...markers];
}

/**
 * The outbox's transaction hook, registered from sidecar.ts: a store with `outboxPublishPubsub` and
 * `outboxPublishTopic` gets its upserts announced; any other store's transactions are left alone.
 * `crashPoint` is the test-only fault injection (undefined in production).
 */
export function outboxTransactionHook(context: PublishContext, crashPoint?: CrashPoint): TransactionHook {
  return {
    async beforeCommit(transaction) {
      const config = outboxConfigOf(transaction.entry.component.properties, context.appId);
      if (config === undefined) return undefined;
      const { trace } = transaction;
      const input = {
        config,
        operations: transaction.operations,
        encoding: transaction.encoding,
        // daprd: the events' `traceid` is the transaction call's traceparent.
        ...(trace === undefined ? {} : { traceid: formatTraceparent(trace), tracestate: trace.tracestate }),
      };
      const operations = await prepareOutboxTransaction(context, input, crashPoint);
      return crashPoint ? { operations, afterCommit: () => crashPoint('after-commit') } : { operations };
    },
  };
}
