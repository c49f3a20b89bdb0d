/** gRPC state methods (spec §3.1, §3.2): decoding into the protocol-neutral calls of api/state.ts and transaction.ts. */
import type { Metadata } from '@daprkit/component-sdk';
import {
  bulkGetState,
  deleteState,
  getState,
  queryState,
  type SaveItem,
  saveState,
  stateOptions,
} from '../api/state.js';
import { executeTransaction, type TransactionInput } from '../api/transaction.js';
import type { Runtime } from '../runtime.js';
import { apiError } from '../shared/errors.js';
import { goJsonBytes, parseJsonBounded } from '../shared/go-json.js';
import {
  CONCURRENCY,
  CONSISTENCY,
  type DeleteBulkStateRequest,
  type DeleteStateRequest,
  type Empty,
  type ExecuteStateTransactionRequest,
  type GetBulkStateRequest,
  type GetBulkStateResponse,
  type GetStateRequest,
  type GetStateResponse,
  type HandlerGroup,
  type QueryStateRequest,
  type QueryStateResponse,
  type SaveStateRequest,
  type WireEtag,
  type WireStateItem,
  type WireStateOptions,
} from './wire.js';

function etagOf(item: { etag: WireEtag | null }): string | undefined {
  return item.etag?.value ? item.etag.value : undefined;
}

function optionsOf(options: WireStateOptions | null) {
  return stateOptions(CONCURRENCY[options?.concurrency ?? 0], CONSISTENCY[options?.consistency ?? 0]);
}

/** A delete by key, with its ETag and options. */
function deleteRequestOf(item: {
  key: string;
  etag: WireEtag | null;
  metadata: Metadata;
  options: WireStateOptions | null;
}) {
  const options = optionsOf(item.options);
  const etag = etagOf(item);
  return { key: item.key, metadata: item.metadata, options, ...(etag ? { etag } : {}) };
}

/**
 * A state item with its value bytes as sent (transactions always pass raw bytes), marked `binary`: daprd hands
 * such values to its stores as `[]byte`, which contrib's SQL stores keep as base64 with `isbinary`.
 */
function rawSaveItem(item: WireStateItem): SaveItem {
  const out: SaveItem = {
    key: item.key,
    value: item.value,
    metadata: item.metadata,
    options: optionsOf(item.options),
    binary: true,
  };
  const etag = etagOf(item);
  if (etag !== undefined) out.etag = etag;
  return out;
}

/** gRPC SaveState stores raw bytes, except `contentType: application/json` values, which are re-encoded (spec §3.2). */
function saveItemOf(item: WireStateItem): SaveItem {
  const out = rawSaveItem(item);
  if (item.metadata.contentType?.toLowerCase() === 'application/json') {
    try {
      out.value = goJsonBytes(parseJsonBounded(item.value.toString('utf8')));
      delete out.binary;
    } catch (error) {
      throw apiError('malformedRequest', {
        message: `value of key ${item.key} is not valid JSON: ${(error as Error).message}`,
      });
    }
  }
  return out;
}

export function stateHandlers(runtime: Runtime) {
  return {
    GetState: async (r: GetStateRequest): Promise<GetStateResponse> => {
      const consistency = CONSISTENCY[r.consistency] || undefined;
      const response = await getState(runtime, r.store_name, r.key, r.metadata, consistency);
      return { data: Buffer.from(response.data ?? []), etag: response.etag ?? '', metadata: response.metadata ?? {} };
    },
    GetBulkState: async (r: GetBulkStateRequest): Promise<GetBulkStateResponse> => {
      const items = await bulkGetState(runtime, r.store_name, r.keys, r.metadata, r.parallelism || undefined);
      return {
        items: items.map((i) => ({
          key: i.key,
          data: Buffer.from(i.data ?? []),
          etag: i.etag ?? '',
          error: i.error ?? '',
          metadata: i.metadata ?? {},
        })),
      };
    },
    SaveState: async (r: SaveStateRequest): Promise<Empty> => {
      const items = r.states.map((item) => {
        if (item.key === '') throw apiError('stateSaveInvalid', { message: 'state key cannot be empty' });
        return saveItemOf(item);
      });
      await saveState(runtime, r.store_name, items);
      return {};
    },
    DeleteState: async (r: DeleteStateRequest): Promise<Empty> => {
      await deleteState(runtime, r.store_name, deleteRequestOf(r));
      return {};
    },
    DeleteBulkState: async (r: DeleteBulkStateRequest): Promise<Empty> => {
      for (const item of r.states) await deleteState(runtime, r.store_name, deleteRequestOf(item));
      return {};
    },
    ExecuteStateTransaction: async (r: ExecuteStateTransactionRequest, _metadata, span): Promise<Empty> => {
      // Raw bytes here, and request metadata is not copied into the operations (spec §3.1).
      const operations: TransactionInput[] = r.operations.map((op) => {
        const item = op.request ?? { key: '', value: Buffer.alloc(0), etag: null, metadata: {}, options: null };
        return { operation: op.operationType, request: rawSaveItem(item) };
      });
      await executeTransaction(runtime, r.storeName, operations, r.metadata, 'bytes', span?.context);
      return {};
    },
    QueryStateAlpha1: async (r: QueryStateRequest): Promise<QueryStateResponse> => {
      const response = await queryState(runtime, r.store_name, r.query, r.metadata);
      return {
        results: response.items.map((i) => ({
          key: i.key,
          data: Buffer.from(i.data ?? []),
          etag: i.etag ?? '',
          error: i.error ?? '',
        })),
        token: response.token ?? '',
        metadata: response.metadata ?? {},
      };
    },
  } satisfies HandlerGroup;
}
