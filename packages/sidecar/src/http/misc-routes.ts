/** HTTP bindings, secrets, metadata, health and shutdown endpoints (spec §2.3–§2.7). */
import { ErrorCode } from '@daprkit/component-sdk';
import { invokeBinding } from '../api/bindings.js';
import { ApiError, malformedRequest } from '../api/errors.js';
import { goJsonBytes } from '../api/go-json.js';
import { metadataDocument } from '../api/metadata.js';
import { getBulkSecrets, getSecret } from '../api/secrets.js';
import type { Runtime } from '../runtime.js';
import {
  describeJsonType,
  field,
  isObject,
  metadataField,
  metadataHeaders,
  parseJson,
  queryMetadata,
  readBody,
  sendBody,
  sendError,
  sendJson,
  sendNoContent,
  stringField,
} from './io.js';
import type { Router } from './router.js';

export function registerMiscRoutes(router: Router, runtime: Runtime): void {
  const secretsContext = { components: runtime.components, secretScopes: runtime.configuration.secretScopes };

  router.add(['POST', 'PUT'], '/v1.0/bindings/{name}', async ({ req, res, params }) => {
    const shape = 'an object like {"operation":"create","data":...,"metadata":{}}';
    const body = parseJson(await readBody(req), shape);
    if (!isObject(body))
      throw malformedRequest(`failed deserializing HTTP body: expected ${shape}, got ${describeJsonType(body)}`);
    const response = await invokeBinding(runtime.components, {
      name: params.name!,
      operation: stringField(body, 'operation', 'body') ?? '',
      // daprd re-encodes `data` as JSON: a string gains quotes, a missing value becomes `null`.
      data: goJsonBytes(field(body, 'data')),
      metadata: metadataField(body, 'metadata', 'body'),
    });
    const headers = metadataHeaders(response.metadata);
    if (response.contentType) headers['Content-Type'] = response.contentType;
    if (response.data === undefined) return sendNoContent(res, headers);
    sendBody(res, 200, Buffer.from(response.data), headers);
  });

  router.add(['GET'], '/v1.0/secrets/{storeName}/bulk', async ({ res, params, query }) => {
    sendJson(res, 200, await getBulkSecrets(secretsContext, params.storeName!, queryMetadata(query)));
  });
  router.add(['GET'], '/v1.0/secrets/{storeName}/{key}', async ({ res, params, query }) => {
    sendJson(res, 200, await getSecret(secretsContext, params.storeName!, params.key!, queryMetadata(query)));
  });

  router.add(['GET'], '/v1.0/metadata', async ({ res }) => sendJson(res, 200, metadataDocument(runtime)));
  router.add(['PUT'], '/v1.0/metadata/{key}', async ({ req, res, params }) => {
    runtime.extendedMetadata.set(params.key!, (await readBody(req)).toString('utf8'));
    sendNoContent(res);
  });

  router.add(['GET'], '/v1.0/healthz', async ({ res, query }) => {
    const appId = query.get('appid');
    if (appId !== null && appId !== '' && appId !== runtime.appId) {
      return sendError(
        res,
        new ApiError(500, 'ERR_HEALTH_APPID_NOT_MATCH', 'dapr app-id does not match', ErrorCode.Internal),
      );
    }
    if (runtime.health.runtime) return sendNoContent(res);
    sendError(res, new ApiError(500, 'ERR_HEALTH_NOT_READY', 'dapr is not ready: [runtime]', ErrorCode.Internal));
  });
  router.add(['GET'], '/v1.0/healthz/outbound', async ({ res }) => {
    if (runtime.health.outbound) return sendNoContent(res);
    sendError(
      res,
      new ApiError(500, 'ERR_OUTBOUND_HEALTH_NOT_READY', 'dapr outbound is not ready', ErrorCode.Internal),
    );
  });

  router.add(['POST'], '/v1.0/shutdown', async ({ req, res }) => {
    sendNoContent(res);
    runtime.requestShutdown(String(req.headers['dapr-force-shutdown'] ?? '').toLowerCase() === 'true');
  });

  // Service invocation is outside this sidecar's scope: say so in Dapr's own terms instead of a bare 404.
  router.add(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'], '/v1.0/invoke/{rest*}', async ({ res }) => {
    sendError(
      res,
      new ApiError(
        501,
        'ERR_API_UNIMPLEMENTED',
        'service invocation is not implemented by daprkit-sidecar',
        ErrorCode.Unimplemented,
      ),
    );
  });
}
