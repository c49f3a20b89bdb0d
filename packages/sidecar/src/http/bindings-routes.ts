/** HTTP output bindings (spec §2.3): decoding into api/bindings.ts. */
import { invokeBinding } from '../api/bindings.js';
import { withComponentTrace, withTraceMetadata } from '../observability/propagation.js';
import type { Runtime } from '../runtime.js';
import { malformedRequest } from '../shared/errors.js';
import { goJsonBytes } from '../shared/go-json.js';
import { field, isObject } from '../shared/json-fields.js';
import {
  describeJsonType,
  metadataField,
  metadataHeaders,
  parseJson,
  readBody,
  sendBody,
  sendNoContent,
  stringField,
} from './io.js';
import type { Router } from './router.js';

export function registerBindingsRoutes(router: Router, runtime: Runtime): void {
  router.add(['POST', 'PUT'], '/v1.0/bindings/{name}', async ({ req, res, params, span }) => {
    const shape = 'an object like {"operation":"create","data":...,"metadata":{}}';
    const body = parseJson(await readBody(req), shape);
    if (!isObject(body))
      throw malformedRequest(`failed deserializing HTTP body: expected ${shape}, got ${describeJsonType(body)}`);
    const request = {
      name: params.name!,
      operation: stringField(body, 'operation', 'body') ?? '',
      // daprd re-encodes `data` as JSON: a string gains quotes, a missing value becomes `null`.
      data: goJsonBytes(field(body, 'data')),
      // daprd passes this call's trace context on to the binding in its metadata.
      metadata: withTraceMetadata(metadataField(body, 'metadata', 'body'), span?.context),
    };
    const response = await withComponentTrace(span?.context, () => invokeBinding(runtime.components, request));
    const headers = metadataHeaders(response.metadata);
    if (response.contentType) headers['Content-Type'] = response.contentType;
    if (response.data === undefined) return sendNoContent(res, headers);
    sendBody(res, 200, Buffer.from(response.data), headers);
  });
}
