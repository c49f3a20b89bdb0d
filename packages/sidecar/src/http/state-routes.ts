/** HTTP state endpoints (spec §2.1): decoding, daprd's value re-serialisation, replies. */

import type { BulkGetItem, Metadata } from '@daprkit/component-sdk';
import {
  bulkGetState,
  deleteFailure,
  deleteState,
  getState,
  queryState,
  type SaveItem,
  saveFailure,
  saveState,
  stateOptions,
} from '../api/state.js';
import { executeTransaction, type TransactionInput } from '../api/transaction.js';
import { withComponentTrace } from '../observability/propagation.js';
import type { Runtime } from '../runtime.js';
import { type ApiError, malformedRequest } from '../shared/errors.js';
import { goJsonBytes } from '../shared/go-json.js';
import { field, isObject } from '../shared/json-fields.js';
import {
  describeJsonType,
  metadataField,
  metadataHeaders,
  parseJson,
  queryMetadata,
  readBody,
  sendBody,
  sendNoContent,
  stringField,
} from './io.js';
import type { Router } from './router.js';

const SAVE_SHAPE = 'a JSON array of state items like [{"key":"k1","value":{...}}]';

function decodeOptions(item: Record<string, unknown>, where: string, failure?: (inner: string) => ApiError) {
  const options = field(item, 'options');
  if (options === undefined || options === null) return stateOptions(undefined, undefined);
  if (!isObject(options))
    throw malformedRequest(
      `failed deserializing HTTP body: ${where}.options must be an object, got ${describeJsonType(options)}`,
    );
  return stateOptions(
    stringField(options, 'concurrency', `${where}.options`),
    stringField(options, 'consistency', `${where}.options`),
    failure,
  );
}

/** One save/upsert item: the value is stored as daprd's Go re-encoding of the JSON `value`. */
function decodeSetItem(
  raw: unknown,
  where: string,
  queryMeta: Metadata,
  failure?: (inner: string) => ApiError,
): SaveItem {
  if (!isObject(raw))
    throw malformedRequest(
      `failed deserializing HTTP body: ${where} must be an object like {"key":"k1","value":...}, got ${describeJsonType(raw)}`,
    );
  const key = stringField(raw, 'key', where) ?? '';
  const item: SaveItem = {
    key,
    value: goJsonBytes(field(raw, 'value')),
    metadata: { ...metadataField(raw, 'metadata', where), ...queryMeta },
    options: decodeOptions(raw, where, failure),
  };
  const etag = stringField(raw, 'etag', where);
  if (etag !== undefined) item.etag = etag;
  const contentType = stringField(raw, 'contentType', where);
  if (contentType) item.contentType = contentType;
  return item;
}

/** Stored bytes embedded as raw JSON when they are JSON, else as a JSON string (daprd would emit invalid JSON). */
function rawJson(data: Uint8Array): string {
  const text = Buffer.from(data).toString('utf8');
  try {
    JSON.parse(text);
    return text;
  } catch {
    return JSON.stringify(text);
  }
}

function bulkItemJson(item: BulkGetItem): string {
  let out = `{"key":${JSON.stringify(item.key)}`;
  if (item.data !== undefined && item.data.length > 0) out += `,"data":${rawJson(item.data)}`;
  if (item.etag) out += `,"etag":${JSON.stringify(item.etag)}`;
  if (item.metadata && Object.keys(item.metadata).length > 0) out += `,"metadata":${JSON.stringify(item.metadata)}`;
  if (item.error) out += `,"error":${JSON.stringify(item.error)}`;
  return `${out}}`;
}

export function registerStateRoutes(router: Router, context: Runtime): void {
  router.add(['GET'], '/v1.0/state/{storeName}/{key}', async ({ res, params, query, span }) => {
    // daprd ignores a consistency it does not know on reads (only writes fail on it).
    const consistency = query.get('consistency');
    const response = await withComponentTrace(span?.context, () =>
      getState(
        context,
        params.storeName!,
        params.key!,
        queryMetadata(query),
        consistency === 'strong' || consistency === 'eventual' ? consistency : undefined,
      ),
    );
    const headers = metadataHeaders(response.metadata);
    if (response.data === undefined || response.data.length === 0) return sendNoContent(res, headers);
    if (response.etag) headers.ETag = response.etag;
    sendBody(res, 200, Buffer.from(response.data.buffer, response.data.byteOffset, response.data.byteLength), headers);
  });

  router.add(['POST', 'PUT'], '/v1.0/state/{storeName}/bulk', async ({ req, res, params, query, span }) => {
    const body = parseJson(await readBody(req), 'an object like {"keys":["k1","k2"]}');
    if (!isObject(body))
      throw malformedRequest(
        `failed deserializing HTTP body: expected an object like {"keys":["k1","k2"]}, got ${describeJsonType(body)}`,
      );
    const keys = field(body, 'keys') ?? [];
    if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string'))
      throw malformedRequest('failed deserializing HTTP body: keys must be an array of strings');
    const parallelism = field(body, 'parallelism');
    if (parallelism !== undefined && parallelism !== null && typeof parallelism !== 'number')
      throw malformedRequest('failed deserializing HTTP body: parallelism must be a number');
    const metadata = { ...metadataField(body, 'metadata', 'body'), ...queryMetadata(query) };
    const items = await withComponentTrace(span?.context, () =>
      bulkGetState(
        context,
        params.storeName!,
        keys as string[],
        metadata,
        typeof parallelism === 'number' ? parallelism : undefined,
      ),
    );
    sendBody(res, 200, `[${items.map(bulkItemJson).join(',')}]`);
  });

  router.add(['POST', 'PUT'], '/v1.0/state/{storeName}/transaction', async ({ req, res, params, query, span }) => {
    const shape = 'an object like {"operations":[{"operation":"upsert","request":{"key":"k","value":...}}]}';
    const body = parseJson(await readBody(req), shape);
    if (!isObject(body))
      throw malformedRequest(`failed deserializing HTTP body: expected ${shape}, got ${describeJsonType(body)}`);
    const rawOperations = field(body, 'operations') ?? [];
    if (!Array.isArray(rawOperations))
      throw malformedRequest(
        `failed deserializing HTTP body: operations must be an array, got ${describeJsonType(rawOperations)}`,
      );
    const queryMeta = queryMetadata(query);
    const operations: TransactionInput[] = rawOperations.map((raw, i) => {
      const where = `operations[${i}]`;
      if (!isObject(raw))
        throw malformedRequest(
          `failed deserializing HTTP body: ${where} must be an object, got ${describeJsonType(raw)}`,
        );
      const operation = stringField(raw, 'operation', where) ?? '';
      const item = decodeSetItem(field(raw, 'request') ?? {}, `${where}.request`, queryMeta);
      if (operation !== 'delete') return { operation, request: item } as TransactionInput;
      const request: { key: string; etag?: string; metadata: Metadata; options: typeof item.options } = {
        key: item.key,
        metadata: item.metadata,
        options: item.options,
      };
      if (item.etag !== undefined) request.etag = item.etag;
      return { operation: 'delete', request };
    });
    // Body metadata stays transaction-level; only query metadata reaches each operation (daprd).
    await executeTransaction(
      context,
      params.storeName!,
      operations,
      { ...metadataField(body, 'metadata', 'body'), ...queryMeta },
      'json-text',
      span?.context,
    );
    sendNoContent(res);
  });

  router.add(['POST', 'PUT'], '/v1.0/state/{storeName}', async ({ req, res, params, query, span }) => {
    const body = parseJson(await readBody(req), SAVE_SHAPE);
    if (!Array.isArray(body))
      throw malformedRequest(`failed deserializing HTTP body: expected ${SAVE_SHAPE}, got ${describeJsonType(body)}`);
    const queryMeta = queryMetadata(query);
    const items = body.map((raw, i) => decodeSetItem(raw, `[${i}]`, queryMeta, saveFailure(params.storeName!)));
    await withComponentTrace(span?.context, () => saveState(context, params.storeName!, items));
    sendNoContent(res);
  });

  router.add(['DELETE'], '/v1.0/state/{storeName}/{key}', async ({ req, res, params, query, span }) => {
    const request: { key: string; etag?: string; metadata: Metadata; options: ReturnType<typeof stateOptions> } = {
      key: params.key!,
      metadata: queryMetadata(query),
      options: stateOptions(
        query.get('concurrency') || undefined,
        query.get('consistency') || undefined,
        deleteFailure(params.key!),
      ),
    };
    const ifMatch = req.headers['if-match'];
    if (typeof ifMatch === 'string' && ifMatch !== '') request.etag = ifMatch;
    await withComponentTrace(span?.context, () => deleteState(context, params.storeName!, request));
    sendNoContent(res);
  });

  router.add(['POST', 'PUT'], '/v1.0-alpha1/state/{storeName}/query', async ({ req, res, params, query, span }) => {
    const body = await readBody(req);
    const response = await withComponentTrace(span?.context, () =>
      queryState(context, params.storeName!, body.toString('utf8'), queryMetadata(query)),
    );
    if (response.items.length === 0) return sendNoContent(res);
    const results = response.items.map((item) => {
      let out = `{"key":${JSON.stringify(item.key)}`;
      if (item.data !== undefined && item.data.length > 0) out += `,"data":${rawJson(item.data)}`;
      if (item.etag) out += `,"etag":${JSON.stringify(item.etag)}`;
      if (item.error) out += `,"error":${JSON.stringify(item.error)}`;
      return `${out}}`;
    });
    let out = `{"results":[${results.join(',')}]`;
    if (response.token) out += `,"token":${JSON.stringify(response.token)}`;
    if (response.metadata && Object.keys(response.metadata).length > 0)
      out += `,"metadata":${JSON.stringify(response.metadata)}`;
    sendBody(res, 200, `${out}}`);
  });
}
