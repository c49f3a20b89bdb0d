/** Publishing (spec §2.2): validation, envelopes, single and bulk publish, with daprd's rich pub/sub errors. */
import { type BulkMessageEntry, type Metadata, mapLimit, PubSubFeature } from '@daprkit/component-sdk';
import { topicAllowed } from '../composition/pubsub-scopes.js';
import type { ComponentTable, PubSubEntry } from '../composition/table.js';
import { formatTraceparent } from '../observability/trace-context.js';
import type { TraceSpan } from '../observability/tracing.js';
import { type ApiError, apiError, errorText } from '../shared/errors.js';
import { parseGoBool } from '../shared/go-json.js';
import { CLOUDEVENT_CONTENT_TYPE } from '../shared/media-type.js';
import { buildCloudEvent, CloudEventError } from './cloudevents.js';

export interface PublishContext {
  appId: string;
  components: ComponentTable;
}

export function isRawPayload(metadata: Metadata, pubsubName: string): boolean {
  const raw = metadata.rawPayload;
  if (raw === undefined || raw === '') return false;
  const parsed = parseGoBool(raw);
  if (parsed === undefined) {
    throw apiError('pubsubMetadata', {
      message: `failed deserializing metadata. Error: rawPayload value must be a valid boolean: actual is '${raw}'`,
      resource: pubsubName,
    });
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
    throw apiError('pubsubNameEmpty', { message: 'pubsub name is empty', info: metadata, resource: pubsubName });
  }
  const entry = context.components.pubsub.get(pubsubName);
  if (entry === undefined) {
    throw apiError('pubsubNotFound', { message: `pubsub ${pubsubName} is not found`, info: metadata });
  }
  if (topic === '') {
    throw apiError('pubsubTopicEmpty', {
      message: `topic is empty in pubsub ${pubsubName}`,
      info: metadata,
      resource: pubsubName,
    });
  }
  if (!topicAllowed(entry.component.properties, context.appId, topic, 'publish')) {
    throw apiError('pubsubForbidden', {
      message: `topic ${topic} is not allowed for app id ${context.appId}`,
      resource: pubsubName,
    });
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
    throw apiError('pubsubCloudEventCreation', {
      message: 'cannot create cloudevent',
      info: { appID: context.appId, error: error.message },
      resource: input.pubsubName,
    });
  }
}

function publishFailure(input: { pubsubName: string; topic: string }, error: unknown): ApiError {
  const message = `error when publishing to topic ${input.topic} in pubsub ${input.pubsubName}: ${errorText(error)}`;
  return apiError('pubsubPublishMessage', {
    message,
    info: { topic: input.topic, error: errorText(error) },
    resource: input.pubsubName,
  });
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
  /** Starts one Producer span per entry (daprd: each event of a bulk carries its own traceparent). */
  entrySpan?: (() => TraceSpan) | undefined;
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
    throw apiError('pubsubMarshalEvents', {
      message: `error marshaling events to bytes for topic ${input.topic} pubsub ${input.pubsubName}. error: entryId is duplicated or not present for entry`,
      resource: input.pubsubName,
    });
  }
  const raw = isRawPayload(input.metadata, input.pubsubName);
  const spans = new Map<string, TraceSpan>();
  const messages: BulkMessageEntry[] = input.entries.map((e) => {
    // Request-level metadata reaches an entry only when the entry has its own metadata object (daprd quirk).
    const metadata = e.metadata === undefined ? {} : { ...input.metadata, ...e.metadata };
    const span = raw ? undefined : input.entrySpan?.();
    if (span !== undefined) spans.set(e.entryId, span);
    const envelope = envelopeFor(context, entry, {
      pubsubName: input.pubsubName,
      topic: input.topic,
      data: e.event,
      contentType: e.contentType,
      metadata: { ...metadata, ...(raw ? { rawPayload: 'true' } : {}) },
      traceparent: span === undefined ? '' : formatTraceparent(span.context),
      tracestate: span?.context.tracestate ?? '',
    });
    return { entryId: e.entryId, event: envelope.data, contentType: envelope.contentType, metadata };
  });
  const failed = await publishEntries(entry, input, messages);
  if (spans.size > 0) {
    const errors = new Map(failed.map((f) => [f.entryId, f.error]));
    for (const [id, span] of spans) span.end(errors.get(id));
  }
  return failed;
}

async function publishEntries(
  entry: PubSubEntry,
  input: BulkPublishInput,
  messages: BulkMessageEntry[],
): Promise<FailedEntry[]> {
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
