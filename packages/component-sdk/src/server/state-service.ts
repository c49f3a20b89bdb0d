/**
 * The four state services. They all resolve to the same instance object; Transact/Query answer per instance
 * (UNIMPLEMENTED when that instance's store lacks the method), so one registration fits every store.
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { DaprkitError, ErrorCode } from '../errors.js';
import { bulk, resolveStateFeatures } from '../state-helpers.js';
import { isQueryableStore, isTransactionalStore, StateFeature, type StateStore } from '../v1/state.js';
import {
  bulkGetItemToWire,
  deleteRequestFromWire,
  getRequestFromWire,
  getResponseToWire,
  queryRequestFromWire,
  queryResponseToWire,
  setRequestFromWire,
  transactionFromWire,
} from './convert.js';
import type { InstanceTable } from './instances.js';
import { ServiceName } from './proto.js';
import { initHandler, pingRun, unary, unimplemented } from './unary.js';
import type {
  Maybe,
  WireBulkDeleteRequest,
  WireBulkGetRequest,
  WireBulkGetResponse,
  WireBulkOptions,
  WireBulkSetRequest,
  WireDeleteRequest,
  WireFeaturesResponse,
  WireGetRequest,
  WireGetResponse,
  WireMultiMaxSizeResponse,
  WireQueryRequest,
  WireQueryResponse,
  WireSetRequest,
  WireTransactionRequest,
} from './wire.js';

/** No pluggable RPC exists behind these, so advertising them would mislead daprd (pitfall 27). */
const NOT_ON_THE_WIRE: ReadonlySet<string> = new Set([StateFeature.DeleteWithPrefix, StateFeature.KeysLike]);
const EMPTY = Object.freeze({});

const bulkOptions = (options: Maybe<WireBulkOptions>) => (options ? { parallelism: options.parallelism } : undefined);

const features = (store: StateStore): WireFeaturesResponse => ({
  features: resolveStateFeatures(store).filter((f) => !NOT_ON_THE_WIRE.has(f)),
});

const get = async (store: StateStore, request: WireGetRequest): Promise<WireGetResponse> =>
  getResponseToWire(await store.get(getRequestFromWire(request)));

const set = async (store: StateStore, request: WireSetRequest): Promise<object> => {
  await store.set(setRequestFromWire(request));
  return EMPTY;
};

const remove = async (store: StateStore, request: WireDeleteRequest): Promise<object> => {
  await store.delete(deleteRequestFromWire(request));
  return EMPTY;
};

const bulkGet = async (store: StateStore, request: WireBulkGetRequest): Promise<WireBulkGetResponse> => {
  const items = await bulk.get(store, request.items.map(getRequestFromWire), bulkOptions(request.options));
  // daprd pairs results with keys by position (pitfall 9): a short or long answer would misattribute values.
  if (items.length !== request.items.length) {
    throw new DaprkitError(
      ErrorCode.Internal,
      `bulkGet returned ${items.length} items for ${request.items.length} keys`,
    );
  }
  return { items: items.map(bulkGetItemToWire) };
};

const bulkSet = async (store: StateStore, request: WireBulkSetRequest): Promise<object> => {
  await bulk.set(store, request.items.map(setRequestFromWire), bulkOptions(request.options));
  return EMPTY;
};

const bulkDelete = async (store: StateStore, request: WireBulkDeleteRequest): Promise<object> => {
  await bulk.delete(store, request.items.map(deleteRequestFromWire), bulkOptions(request.options));
  return EMPTY;
};

const transact = async (store: StateStore, request: WireTransactionRequest): Promise<object> => {
  if (!isTransactionalStore(store)) unimplemented('this state store instance does not support transactions');
  await store.transact(transactionFromWire(request));
  return EMPTY;
};

const query = async (store: StateStore, request: WireQueryRequest): Promise<WireQueryResponse> => {
  if (!isQueryableStore(store)) unimplemented('this state store instance does not support queries');
  return queryResponseToWire(await store.query(queryRequestFromWire(request.query, request.metadata)));
};

/** `<= 0` or -1 means unlimited; -1 when the store states nothing. */
const multiMaxSize = (store: StateStore): WireMultiMaxSizeResponse => {
  const limit =
    isTransactionalStore(store) && typeof store.multiMaxSize === 'function' ? store.multiMaxSize() : undefined;
  return { maxSize: limit === undefined || !Number.isFinite(limit) ? -1 : Math.trunc(limit) };
};

export function stateServices(table: InstanceTable<'state'>): [ServiceName, UntypedServiceImplementation][] {
  return [
    [
      ServiceName.StateStore,
      {
        Init: initHandler(table),
        Features: unary(table, features),
        Get: unary(table, get),
        Set: unary(table, set),
        Delete: unary(table, remove),
        BulkGet: unary(table, bulkGet),
        BulkSet: unary(table, bulkSet),
        BulkDelete: unary(table, bulkDelete),
        Ping: unary(table, pingRun),
      },
    ],
    [ServiceName.TransactionalStateStore, { Transact: unary(table, transact) }],
    [ServiceName.QueriableStateStore, { Query: unary(table, query) }],
    [ServiceName.TransactionalStoreMultiMaxSize, { MultiMaxSize: unary(table, multiMaxSize) }],
  ];
}
