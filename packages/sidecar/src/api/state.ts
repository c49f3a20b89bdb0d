/**
 * The state building block, protocol-neutral: store lookup, key prefixing and daprd's error mapping (spec §2.1).
 * HTTP and gRPC handlers decode their requests into these calls. Transactions live in transaction.ts.
 */
import {
  BulkError,
  type BulkGetItem,
  bulk,
  type Consistency,
  DaprkitError,
  type GetResponse,
  isETagError,
  isQueryableStore,
  type KitError,
  type Metadata,
  originalKey,
  parseConcurrency,
  parseConsistency,
  parseQuery,
  type QueryResponse,
  type StateOptions,
} from '@daprkit/component-sdk';
import type { ComponentTable, StateEntry } from '../composition/table.js';
import { API_ERRORS, ApiError, type ApiErrorKind, apiError, errorText, malformedRequest } from '../shared/errors.js';
import { parseJsonBounded } from '../shared/go-json.js';
import { prefixedKey } from '../shared/state-keys.js';

export interface StateApiContext {
  appId: string;
  components: ComponentTable;
}

export function stateStore(context: StateApiContext, storeName: string, forQuery = false): StateEntry {
  const entry = context.components.state.get(storeName);
  if (entry !== undefined) return entry;
  const info: Record<string, string> = forQuery ? {} : { appID: context.appId };
  if (context.components.state.size === 0)
    throw apiError('stateStoreNotConfigured', { message: `state store ${storeName} is not configured`, info });
  throw apiError('stateStoreNotFound', { message: `state store ${storeName} is not found`, info });
}

/**
 * Options strings from a request, validated (`''` = unspecified). `failure` builds the error for an unknown value:
 * daprd fails a save with 500 ERR_STATE_SAVE and a delete with 500 ERR_STATE_DELETE (saveFailure/deleteFailure).
 */
export function stateOptions(
  concurrency: string | undefined,
  consistency: string | undefined,
  failure: (inner: string) => ApiError = malformedRequest,
): StateOptions {
  try {
    const options: StateOptions = {};
    const parsedConcurrency = parseConcurrency(concurrency);
    const parsedConsistency = parseConsistency(consistency);
    if (parsedConcurrency) options.concurrency = parsedConcurrency;
    if (parsedConsistency) options.consistency = parsedConsistency;
    return options;
  } catch (error) {
    throw failure(errorText(error));
  }
}

export const saveFailure = (storeName: string) => (inner: string) =>
  apiError('stateSave', { message: `failed saving state in state store ${storeName}: ${inner}` });

export const deleteFailure = (key: string) => (inner: string) =>
  apiError('stateDelete', { message: `failed deleting state with key ${key}: ${inner}` });

/** A store failure, keeping a kit error's own status (spec §2.1.3). */
function storeError(error: unknown, kind: ApiErrorKind, message: string): ApiError {
  if (isKitError(error)) {
    return new ApiError({
      httpStatus: error.httpCode,
      errorCode: error.tag || API_ERRORS[kind].errorCode,
      grpcCode: error.code,
      message,
    });
  }
  return apiError(kind, { message });
}

const WRITE_ERRORS = {
  save: { failed: 'stateSave', mismatch: 'stateSaveETagMismatch', invalid: 'stateSaveInvalid' },
  delete: { failed: 'stateDelete', mismatch: 'stateDeleteETagMismatch', invalid: 'stateDeleteInvalid' },
} as const satisfies Record<string, Record<string, ApiErrorKind>>;

// Duck-typed: a component package may carry its own copy of the SDK, so `instanceof KitError` can miss.
function isKitError(error: unknown): error is KitError {
  return DaprkitError.isInstance(error) && typeof (error as Partial<KitError>).httpCode === 'number';
}

/** ETag failures are 409 (mismatch) or 400 (invalid); a bulk failure counts as ETag only when every item is one. */
function writeError(error: unknown, write: keyof typeof WRITE_ERRORS, describe: (inner: string) => string): ApiError {
  const kinds = WRITE_ERRORS[write];
  const itemErrors =
    error instanceof BulkError ? error.errors.map((e) => e.etagError()) : [isETagError(error) ? error : undefined];
  const etagErrors = itemErrors.filter((e) => e !== undefined);
  if (etagErrors.length > 0 && etagErrors.length === itemErrors.length) {
    const mismatch = etagErrors.some((e) => e.kind === 'mismatch');
    const inner = mismatch
      ? `possible etag mismatch. error from state store: ${errorText(error)}`
      : `invalid etag value: ${errorText(error)}`;
    return apiError(mismatch ? kinds.mismatch : kinds.invalid, { message: describe(inner) });
  }
  return storeError(error, kinds.failed, describe(errorText(error)));
}

export async function getState(
  context: StateApiContext,
  storeName: string,
  key: string,
  metadata: Metadata,
  consistency?: Consistency,
): Promise<GetResponse> {
  const entry = stateStore(context, storeName);
  const fullKey = prefixedKey(entry.keyPrefix, key, storeName);
  try {
    return await entry.store.get(consistency ? { key: fullKey, metadata, consistency } : { key: fullKey, metadata });
  } catch (error) {
    throw storeError(error, 'stateGet', `fail to get ${key} from state store ${storeName}: ${errorText(error)}`);
  }
}

export interface SaveItem {
  key: string;
  value: Uint8Array;
  etag?: string;
  metadata: Metadata;
  options: StateOptions;
  contentType?: string;
  /** Opaque bytes (a gRPC save): see SetRequest.binary. */
  binary?: boolean;
}

export async function saveState(context: StateApiContext, storeName: string, items: SaveItem[]): Promise<void> {
  const entry = stateStore(context, storeName);
  if (items.length === 0) return;
  const requests = items.map((item) => {
    if (item.key === '') throw malformedRequest('"key" is a required field');
    return { ...item, key: prefixedKey(entry.keyPrefix, item.key, storeName) };
  });
  try {
    if (requests.length === 1) await entry.store.set(requests[0]!);
    else await bulk.set(entry.store, requests);
  } catch (error) {
    throw writeError(error, 'save', (inner) => `failed saving state in state store ${storeName}: ${inner}`);
  }
}

export async function deleteState(
  context: StateApiContext,
  storeName: string,
  request: { key: string; etag?: string; metadata: Metadata; options: StateOptions },
): Promise<void> {
  const entry = stateStore(context, storeName);
  const key = prefixedKey(entry.keyPrefix, request.key, storeName);
  try {
    await entry.store.delete({ ...request, key });
  } catch (error) {
    throw writeError(error, 'delete', (inner) => `failed deleting state with key ${request.key}: ${inner}`);
  }
}

export async function bulkGetState(
  context: StateApiContext,
  storeName: string,
  keys: string[],
  metadata: Metadata,
  parallelism?: number,
): Promise<BulkGetItem[]> {
  const entry = stateStore(context, storeName);
  if (parallelism !== undefined && (!Number.isInteger(parallelism) || parallelism < 0)) {
    throw malformedRequest(`parallelism must be a whole number >= 1 (0 or absent for the default), got ${parallelism}`);
  }
  if (keys.length === 0) return [];
  const requests = keys.map((key) => ({ key: prefixedKey(entry.keyPrefix, key, storeName), metadata }));
  let items: BulkGetItem[];
  try {
    items = await bulk.get(entry.store, requests, parallelism ? { parallelism } : undefined);
  } catch (error) {
    throw storeError(error, 'stateBulkGet', errorText(error));
  }
  return items.map((item, i) => ({ ...item, key: keys[i] ?? originalKey(item.key) }));
}

function queryError(storeName: string, inner: string): ApiError {
  return apiError('stateQueryFailed', {
    message: `state store ${storeName} query failed: ${inner}`,
    resource: storeName,
  });
}

/** `queryText` is the JSON query document as sent (HTTP body, gRPC `query` string). */
export async function queryState(
  context: StateApiContext,
  storeName: string,
  queryText: string,
  metadata: Metadata,
): Promise<QueryResponse> {
  const entry = stateStore(context, storeName, true);
  if (!isQueryableStore(entry.store)) {
    throw apiError('stateQueryNotSupported', { message: 'state store does not support querying', resource: storeName });
  }
  let query: ReturnType<typeof parseQuery>;
  try {
    query = parseQuery(parseJsonBounded(queryText));
  } catch (error) {
    throw queryError(storeName, `failed to parse JSON query body: ${errorText(error)}`);
  }
  try {
    const response = await entry.store.query({ query, metadata });
    return { ...response, items: response.items.map((item) => ({ ...item, key: originalKey(item.key) })) };
  } catch (error) {
    throw queryError(storeName, errorText(error));
  }
}
