import { ServiceName } from '../server/proto.js';
import type {
  WireBulkGetResponse,
  WireFeaturesResponse,
  WireGetResponse,
  WireMultiMaxSizeResponse,
  WireQueryResponse,
} from '../server/wire.js';
import type { Metadata } from '../v1/common.js';
import {
  type BulkGetItem,
  type BulkOptions,
  type DeleteRequest,
  type GetRequest,
  type GetResponse,
  type QueryRequest,
  type QueryResponse,
  type SetRequest,
  StateFeature,
  type StateStore,
  type TransactionRequest,
} from '../v1/state.js';
import {
  bulkGetItemFromWire,
  deleteRequestToWire,
  getRequestToWire,
  getResponseFromWire,
  queryRequestToWire,
  queryResponseFromWire,
  setRequestToWire,
  transactionToWire,
} from './convert.js';
import { Decode, RemoteComponent, type RemoteOptions } from './remote.js';

/**
 * A state store behind a socket, driven like daprd drives it. `transact`/`multiMaxSize` appear after
 * `init()` iff the component declared TRANSACTIONAL, `query` iff QUERY_API.
 */
export interface RemoteStateStore extends StateStore {
  transact?(request: TransactionRequest): Promise<void>;
  /** The value fetched once at init (like daprd caches it); -1 when the RPC failed. */
  multiMaxSize?(): number;
  query?(request: QueryRequest): Promise<QueryResponse>;
  bulkGet(requests: GetRequest[], options?: BulkOptions): Promise<BulkGetItem[]>;
  bulkSet(requests: SetRequest[], options?: BulkOptions): Promise<void>;
  bulkDelete(requests: DeleteRequest[], options?: BulkOptions): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const { StateStore: STATE, TransactionalStateStore: TRANSACTIONAL, QueriableStateStore: QUERIABLE } = ServiceName;

class RemoteStateStoreClient extends RemoteComponent implements RemoteStateStore {
  private cachedFeatures: readonly StateFeature[] = [];
  declare transact?: (request: TransactionRequest) => Promise<void>;
  declare multiMaxSize?: () => number;
  declare query?: (request: QueryRequest) => Promise<QueryResponse>;

  /** Init, then Features (cached); for a transactional store also MultiMaxSize (cached, -1 on failure). */
  async init(properties: Metadata): Promise<void> {
    await this.initInstance(STATE, properties);
    const { features } = await this.call<object, WireFeaturesResponse>(STATE, 'Features', {});
    this.cachedFeatures = features as StateFeature[];
    delete this.transact;
    delete this.multiMaxSize;
    delete this.query;
    if (features.includes(StateFeature.Transactional)) {
      const maxSize = await this.fetchMultiMaxSize();
      this.transact = (request) =>
        this.call(TRANSACTIONAL, 'Transact', transactionToWire(request), Decode.kit).then(() => undefined);
      this.multiMaxSize = () => maxSize;
    }
    if (features.includes(StateFeature.QueryAPI)) {
      this.query = async (request) =>
        queryResponseFromWire(
          await this.call<unknown, WireQueryResponse>(QUERIABLE, 'Query', queryRequestToWire(request), Decode.kit),
        );
    }
  }

  features(): readonly StateFeature[] {
    return this.cachedFeatures;
  }

  async get(request: GetRequest): Promise<GetResponse> {
    return getResponseFromWire(
      await this.call<unknown, WireGetResponse>(STATE, 'Get', getRequestToWire(request), Decode.kit),
    );
  }

  async set(request: SetRequest): Promise<void> {
    await this.call(STATE, 'Set', setRequestToWire(request), Decode.stateWrite);
  }

  async delete(request: DeleteRequest): Promise<void> {
    await this.call(STATE, 'Delete', deleteRequestToWire(request), Decode.stateWrite);
  }

  async bulkGet(requests: GetRequest[], options?: BulkOptions): Promise<BulkGetItem[]> {
    const request = { items: requests.map(getRequestToWire), options: { parallelism: options?.parallelism ?? 0 } };
    const { items } = await this.call<unknown, WireBulkGetResponse>(STATE, 'BulkGet', request, Decode.kit);
    return items.map(bulkGetItemFromWire);
  }

  async bulkSet(requests: SetRequest[], options?: BulkOptions): Promise<void> {
    const request = { items: requests.map(setRequestToWire), options: { parallelism: options?.parallelism ?? 0 } };
    await this.call(STATE, 'BulkSet', request, Decode.stateWrite);
  }

  async bulkDelete(requests: DeleteRequest[], options?: BulkOptions): Promise<void> {
    const request = { items: requests.map(deleteRequestToWire), options: { parallelism: options?.parallelism ?? 0 } };
    await this.call(STATE, 'BulkDelete', request, Decode.stateBulkDelete);
  }

  async ping(): Promise<void> {
    await this.call(STATE, 'Ping', {});
  }

  private async fetchMultiMaxSize(): Promise<number> {
    try {
      const { maxSize } = await this.call<object, WireMultiMaxSizeResponse>(
        ServiceName.TransactionalStoreMultiMaxSize,
        'MultiMaxSize',
        {},
      );
      return maxSize;
    } catch (err) {
      // daprd logs this and treats the store as unlimited.
      this.logger.warn('MultiMaxSize failed; assuming no limit', { error: (err as Error).message });
      return -1;
    }
  }
}

export function remoteStateStore(options: RemoteOptions): RemoteStateStore {
  return new RemoteStateStoreClient(options);
}
