/** Publishing (spec §2.2): validation, envelopes, single and bulk publish, with daprd's rich pub/sub errors. */
import { type BulkMessageEntry, ErrorCode, type Metadata, mapLimit, PubSubFeature } from '@daprkit/component-sdk';
import type { ComponentTable, PubSubEntry } from '../composition/table.js';
import { buildCloudEvent, CLOUDEVENT_CONTENT_TYPE, CloudEventError } from './cloudevents.js';
import { ApiError, errorInfo, errorText, resourceInfo } from './errors.js';
import { topicAllowed } from './pubsub-scopes.js';

export interface PublishContext {
  appId: string;
  components: ComponentTable;
}

function pubsubError(
  status: number,
  errorCode: string,
  message: string,
  grpcCode: ErrorCode,
  reason: string,
  pubsubName: string,
  info: Record<string, string>,
  withResource = true,
): ApiError {
  const details = [errorInfo(reason, info)];
  if (withResource) details.push(resourceInfo('pubsub', pubsubName, message));
  return new ApiError(status, errorCode, message, grpcCode, details);
}

/** Go's strconv.ParseBool. */
export function parseGoBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

export function isRawPayload(metadata: Metadata, pubsubName: string): boolean {
  const raw = metadata.rawPayload;
  if (raw === undefined || raw === '') return false;
  const parsed = parseGoBool(raw);
  if (parsed === undefined) {
    throw pubsubError(
      400,
      'ERR_PUBSUB_REQUEST_METADATA',
      `failed deserializing metadata. Error: rawPayload value must be a valid boolean: actual is '${raw}'`,
      ErrorCode.InvalidArgument,
      'DAPR_PUBSUB_METADATA_DESERIALIZATION',
      pubsubName,
      {},
    );
  }
  return parsed;
}

/** The pub/sub a publish targets, after daprd's checks in order (spec §2.2.1). */
export function publishTarget(
  context: PublishContext,
  pubsubName: string,
  topic: string,
  metadata: Metadata,
): PubSubEntry {
  if (pubsubName === '') {
    throw pubsubError(
      404,
      'ERR_PUBSUB_EMPTY',
      'pubsub name is empty',
      ErrorCode.InvalidArgument,
      'DAPR_PUBSUB_NAME_EMPTY',
      pubsubName,
      metadata,
    );
  }
  const entry = context.components.pubsub.get(pubsubName);
  if (entry === undefined) {
    throw pubsubError(
      404,
      'ERR_PUBSUB_NOT_FOUND',
      `pubsub ${pubsubName} is not found`,
      ErrorCode.InvalidArgument,
      'DAPR_PUBSUB_NOT_FOUND',
      pubsubName,
      metadata,
      false,
    );
  }
  if (topic === '') {
    throw pubsubError(
      404,
      'ERR_TOPIC_NAME_EMPTY',
      `topic is empty in pubsub ${pubsubName}`,
      ErrorCode.InvalidArgument,
      'DAPR_PUBSUB_TOPIC_NAME_EMPTY',
      pubsubName,
      metadata,
    );
  }
  if (!topicAllowed(entry.component.properties, context.appId, topic, 'publish')) {
    throw pubsubError(
      403,
      'ERR_PUBSUB_FORBIDDEN',
      `topic ${topic} is not allowed for app id ${context.appId}`,
      ErrorCode.PermissionDenied,
      'DAPR_PUBSUB_FORBIDDEN',
      pubsubName,
      {},
    );
  }
  return entry;
}

export interface PublishInput {
  pubsubName: string;
  topic: string;
  data: Uint8Array;
  contentType: string;
  metadata: Metadata;
  traceparent?: string;
  tracestate?: string;
}

function envelopeFor(
  context: PublishContext,
  entry: PubSubEntry,
  input: PublishInput,
): { data: Uint8Array; contentType: string } {
  if (isRawPayload(input.metadata, input.pubsubName)) return { data: input.data, contentType: input.contentType };
  try {
    const data = buildCloudEvent({
      appId: context.appId,
      pubsubName: input.pubsubName,
      topic: input.topic,
      data: input.data,
      contentType: input.contentType,
      metadata: input.metadata,
      traceparent: input.traceparent ?? '',
      tracestate: input.tracestate ?? '',
      addExpiration: !entry.features.has(PubSubFeature.MessageTTL),
    });
    return { data, contentType: CLOUDEVENT_CONTENT_TYPE };
  } catch (error) {
    if (!(error instanceof CloudEventError)) throw error;
    throw pubsubError(
      500,
      'ERR_PUBSUB_CLOUD_EVENTS_SER',
      'cannot create cloudevent',
      ErrorCode.InvalidArgument,
      'DAPR_PUBSUB_CLOUD_EVENT_CREATION',
      input.pubsubName,
      {
        appID: context.appId,
        error: error.message,
      },
    );
  }
}

function publishFailure(input: { pubsubName: string; topic: string }, error: unknown): ApiError {
  const message = `error when publishing to topic ${input.topic} in pubsub ${input.pubsubName}: ${errorText(error)}`;
  return pubsubError(
    500,
    'ERR_PUBSUB_PUBLISH_MESSAGE',
    message,
    ErrorCode.Internal,
    'DAPR_PUBSUB_PUBLISH_MESSAGE',
    input.pubsubName,
    {
      topic: input.topic,
      error: errorText(error),
    },
  );
}

export async function publish(context: PublishContext, input: PublishInput): Promise<void> {
  const entry = publishTarget(context, input.pubsubName, input.topic, input.metadata);
  const { data, contentType } = envelopeFor(context, entry, input);
  try {
    await entry.pubsub.publish({
      data,
      contentType,
      pubsubName: input.pubsubName,
      topic: input.topic,
      metadata: input.metadata,
    });
  } catch (error) {
    throw publishFailure(input, error);
  }
}

export interface BulkPublishInput {
  pubsubName: string;
  topic: string;
  metadata: Metadata;
  entries: { entryId: string; event: Uint8Array; contentType: string; metadata?: Metadata }[];
  traceparent?: string;
}

export interface FailedEntry {
  entryId: string;
  error: string;
}

/** Publishes every entry; resolves with the failed ones (empty = full success). Validation failures throw. */
export async function bulkPublish(context: PublishContext, input: BulkPublishInput): Promise<FailedEntry[]> {
  const entry = publishTarget(context, input.pubsubName, input.topic, input.metadata);
  const ids = new Set(input.entries.map((e) => e.entryId));
  if (ids.has('') || ids.size !== input.entries.length) {
    throw pubsubError(
      400,
      'ERR_PUBSUB_EVENTS_SER',
      `error marshaling events to bytes for topic ${input.topic} pubsub ${input.pubsubName}. error: entryId is duplicated or not present for entry`,
      ErrorCode.InvalidArgument,
      'DAPR_PUBSUB_MARSHAL_EVENTS',
      input.pubsubName,
      {},
    );
  }
  const messages: BulkMessageEntry[] = input.entries.map((e) => {
    // Request-level metadata reaches an entry only when the entry has its own metadata object (daprd quirk).
    const metadata = e.metadata === undefined ? {} : { ...input.metadata, ...e.metadata };
    const envelope = envelopeFor(context, entry, {
      pubsubName: input.pubsubName,
      topic: input.topic,
      data: e.event,
      contentType: e.contentType,
      metadata: { ...metadata, ...(isRawPayload(input.metadata, input.pubsubName) ? { rawPayload: 'true' } : {}) },
      traceparent: input.traceparent ?? '',
    });
    return { entryId: e.entryId, event: envelope.data, contentType: envelope.contentType, metadata };
  });
  const { pubsub } = entry;
  if (pubsub.bulkPublish !== undefined) {
    try {
      const response = await pubsub.bulkPublish({
        entries: messages,
        pubsubName: input.pubsubName,
        topic: input.topic,
        metadata: input.metadata,
      });
      return response.failedEntries;
    } catch (error) {
      return messages.map((m) => ({ entryId: m.entryId, error: errorText(error) }));
    }
  }
  const results = await mapLimit(messages, 100, async (m): Promise<FailedEntry | undefined> => {
    try {
      await pubsub.publish({
        data: m.event,
        pubsubName: input.pubsubName,
        topic: input.topic,
        metadata: m.metadata,
        contentType: m.contentType ?? '',
      });
      return undefined;
    } catch (error) {
      return { entryId: m.entryId, error: errorText(error) };
    }
  });
  return results.filter((r) => r !== undefined);
}

export function bulkPublishFailure(input: { pubsubName: string; topic: string }, failed: FailedEntry[]): ApiError {
  return publishFailure(input, new Error(failed.map((f) => `${f.entryId}: ${f.error}`).join('; ')));
}
