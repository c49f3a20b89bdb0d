/** gRPC publish methods (spec §3.1): decoding into api/publish.ts. */
import { bulkPublish, bulkPublishFailure, publish } from '../api/publish.js';
import { producerSpans } from '../observability/api-spans.js';
import { formatTraceparent } from '../observability/trace-context.js';
import type { TraceSpan } from '../observability/tracing.js';
import type { Runtime } from '../runtime.js';
import type { BulkPublishRequest, BulkPublishResponse, Empty, HandlerGroup, PublishEventRequest } from './wire.js';

async function bulkPublishHandler(
  runtime: Runtime,
  r: BulkPublishRequest,
  span: TraceSpan | undefined,
  spanName: string,
): Promise<BulkPublishResponse> {
  const input = { pubsubName: r.pubsub_name, topic: r.topic };
  const failed = await bulkPublish(runtime, {
    ...input,
    metadata: r.metadata,
    entrySpan: producerSpans(runtime.tracer, span, spanName),
    entries: r.entries.map((e) => ({
      entryId: e.entry_id,
      event: e.event,
      contentType: e.content_type,
      ...(Object.keys(e.metadata).length > 0 ? { metadata: e.metadata } : {}),
    })),
  });
  // daprd answers any failure, even partial, with an error status (spec §3.1).
  if (failed.length > 0) throw bulkPublishFailure(input, failed);
  return { failedEntries: [] };
}

export function pubsubHandlers(runtime: Runtime) {
  return {
    PublishEvent: async (r: PublishEventRequest, _metadata, span): Promise<Empty> => {
      await publish(runtime, {
        pubsubName: r.pubsub_name,
        topic: r.topic,
        data: r.data,
        contentType: r.data_content_type,
        metadata: r.metadata,
        traceparent: span === undefined ? '' : formatTraceparent(span.context),
        tracestate: span?.context.tracestate ?? '',
      });
      return {};
    },
    // daprd's span names for the entries, trailing slash included.
    BulkPublishEventAlpha1: (r: BulkPublishRequest, _metadata, span) =>
      bulkPublishHandler(runtime, r, span, '/dapr.proto.runtime.v1.Dapr/BulkPublishEventAlpha1/'),
    BulkPublishEvent: (r: BulkPublishRequest, _metadata, span) =>
      bulkPublishHandler(runtime, r, span, '/dapr.proto.runtime.v1.Dapr/BulkPublishEvent/'),
  } satisfies HandlerGroup;
}
