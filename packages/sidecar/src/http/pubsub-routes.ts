/** HTTP publish endpoints (spec §2.2.2, §2.2.3): decoding into api/publish.ts. */

import { bulkPublish, bulkPublishFailure, publish } from '../api/publish.js';
import { producerSpans } from '../observability/api-spans.js';
import { withComponentTrace } from '../observability/propagation.js';
import { formatTraceparent } from '../observability/trace-context.js';
import type { Runtime } from '../runtime.js';
import { type ApiError, apiError } from '../shared/errors.js';
import { goJsonBytes, parseJsonBounded } from '../shared/go-json.js';
import { field, isObject } from '../shared/json-fields.js';
import { CLOUDEVENT_CONTENT_TYPE, isTextContentType, mediaType } from '../shared/media-type.js';
import { describeJsonType, metadataField, queryMetadata, readBody, sendJson, sendNoContent } from './io.js';
import type { Router } from './router.js';

/** A bulk entry's `event` as bytes, by its content type (spec §2.2.3). */
function entryBytes(event: unknown, contentType: string, mismatch: () => ApiError): Buffer {
  const media = mediaType(contentType);
  if (media === 'application/octet-stream') {
    if (typeof event !== 'string') throw mismatch();
    return Buffer.from(event, 'base64');
  }
  if (isTextContentType(contentType)) {
    if (typeof event !== 'string') throw mismatch();
    return Buffer.from(event);
  }
  if (media === 'application/json' || media === CLOUDEVENT_CONTENT_TYPE) return goJsonBytes(event);
  throw mismatch();
}

export function registerPubSubRoutes(router: Router, context: Runtime): void {
  const bulkHandler = async ({ req, res, params, query, span }: Parameters<Parameters<Router['add']>[2]>[0]) => {
    const pubsubName = params.pubsubName!;
    const topic = params.topic!;
    const metadata = queryMetadata(query);
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = parseJsonBounded(raw.toString('utf8'));
      if (!Array.isArray(body))
        throw new Error(
          `expected a JSON array of entries like [{"entryId":"1","event":...,"contentType":"application/json"}], got ${describeJsonType(body)}`,
        );
    } catch (error) {
      const message = `error when unmarshaling the request for topic ${topic} pubsub ${pubsubName}: ${(error as Error).message}`;
      throw apiError('pubsubUnmarshalEvents', { message, resource: pubsubName });
    }
    const mismatch = () =>
      apiError('pubsubMarshalEnvelope', {
        message: `error when marshalling cloud event envelope for topic ${topic} pubsub ${pubsubName}: error: mismatch between contentType and event`,
        resource: pubsubName,
      });
    const entries = body.map((entry, i) => {
      if (!isObject(entry))
        throw apiError('pubsubUnmarshalEvents', {
          message: `error when unmarshaling the request for topic ${topic} pubsub ${pubsubName}: entry ${i} must be an object`,
          resource: pubsubName,
        });
      const rawContentType = field(entry, 'contentType') ?? '';
      // Go decodes into a string field: anything else is an unmarshal error (String() of a deep array would also
      // recurse without bound).
      if (typeof rawContentType !== 'string')
        throw apiError('pubsubUnmarshalEvents', {
          message: `error when unmarshaling the request for topic ${topic} pubsub ${pubsubName}: entry ${i} contentType must be a string, got ${describeJsonType(rawContentType)}`,
          resource: pubsubName,
        });
      const contentType = rawContentType;
      const id = field(entry, 'entryId');
      const entryMetadata = field(entry, 'metadata');
      return {
        entryId: typeof id === 'string' ? id : '',
        event: entryBytes(field(entry, 'event'), contentType, mismatch),
        contentType,
        ...(isObject(entryMetadata) ? { metadata: metadataField(entry, 'metadata', `[${i}]`) } : {}),
      };
    });
    const failed = await withComponentTrace(span?.context, () =>
      bulkPublish(context, {
        pubsubName,
        topic,
        metadata,
        entries,
        entrySpan: producerSpans(context.tracer, span, (req.url ?? '').split('?', 1)[0]!),
      }),
    );
    if (failed.length === 0) return sendNoContent(res);
    // `entryID` as well: @dapr/dapr matches failed entries by that spelling.
    const responseData = {
      failedEntries: failed.map((f) => ({ entryId: f.entryId, entryID: f.entryId, error: f.error })),
      errorCode: 'ERR_PUBSUB_PUBLISH_MESSAGE',
    };
    const error = bulkPublishFailure({ pubsubName, topic }, failed);
    sendJson(res, 500, responseData, {
      'metadata.responseData': JSON.stringify(responseData),
      'metadata.error': error.message.replace(/[\r\n]/g, ' '),
    });
  };
  router.add(['POST', 'PUT'], '/v1.0-alpha1/publish/bulk/{pubsubName}/{topic*}', bulkHandler);
  router.add(['POST', 'PUT'], '/v1.0/publish/bulk/{pubsubName}/{topic*}', bulkHandler);

  router.add(['POST', 'PUT'], '/v1.0/publish/{pubsubName}/{topic*}', async ({ req, res, params, query, span }) => {
    const data = await readBody(req);
    await withComponentTrace(span?.context, () =>
      publish(context, {
        pubsubName: params.pubsubName!,
        topic: params.topic!,
        data,
        contentType: req.headers['content-type'] ?? '',
        metadata: queryMetadata(query),
        // The envelope carries this call's span (daprd: `""` when tracing is off).
        traceparent: span === undefined ? '' : formatTraceparent(span.context),
        tracestate: span?.context.tracestate ?? '',
      }),
    );
    sendNoContent(res);
  });
}
