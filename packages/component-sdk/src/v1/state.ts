import type { Component, Metadata } from './common.js';

/** Feature strings exactly as Dapr spells them (components-contrib state/feature.go). */
export const StateFeature = {
  ETag: 'ETAG',
  Transactional: 'TRANSACTIONAL',
  QueryAPI: 'QUERY_API',
  TTL: 'TTL',
  DeleteWithPrefix: 'DELETE_WITH_PREFIX',
  PartitionKey: 'PARTITION_KEY',
  KeysLike: 'KEYS_LIKE',
} as const;
export type StateFeature = (typeof StateFeature)[keyof typeof StateFeature];

export type Concurrency = 'first-write' | 'last-write';
export type Consistency = 'eventual' | 'strong';

export interface StateOptions {
  concurrency?: Concurrency;
  consistency?: Consistency;
}

export interface GetRequest {
  /** Full key as Dapr sends it (`appid||key`); stored and returned unchanged. */
  key: string;
  metadata: Metadata;
  consistency?: Consistency;
}

export interface GetResponse {
  /** Absent means "not found". */
  data?: Uint8Array;
  etag?: string;
  /** e.g. `ttlExpireTime` (RFC 3339, UTC). */
  metadata?: Metadata;
  contentType?: string;
}

export interface SetRequest {
  key: string;
  value: Uint8Array;
  /** Absent or `''` means no concurrency guard. */
  etag?: string;
  /** e.g. `ttlInSeconds`, `contentType`. */
  metadata: Metadata;
  options: StateOptions;
  contentType?: string;
  /**
   * The value is opaque bytes rather than JSON: set by the sidecar for a gRPC SaveState without
   * `contentType: application/json` and for gRPC transaction upserts, which daprd hands to its built-in stores as
   * `[]byte` (contrib's PostgreSQL and MySQL stores then keep base64 with `isbinary`). Absent (HTTP saves, and every
   * call over a pluggable socket, whose protocol has no such field): stores decide by looking at the bytes.
   */
  binary?: boolean;
}

export interface DeleteRequest {
  key: string;
  etag?: string;
  metadata: Metadata;
  options: StateOptions;
}

export interface BulkGetItem {
  /** The requested key, echoed. */
  key: string;
  data?: Uint8Array;
  etag?: string;
  /** Per-item failure text; absent or `''` on success. */
  error?: string;
  metadata?: Metadata;
  contentType?: string;
}

export interface BulkOptions {
  /** Desired fan-out; `<= 0` or absent = unbounded. */
  parallelism?: number;
}

/** The basic state store. Bulk methods are optional: the SDK supplies parallel defaults over get/set/delete. */
export interface StateStore extends Component {
  /** Declared features that cannot be derived from methods (ETAG, TTL, PARTITION_KEY, ...). */
  features(): readonly StateFeature[];
  get(request: GetRequest): Promise<GetResponse>;
  set(request: SetRequest): Promise<void>;
  delete(request: DeleteRequest): Promise<void>;
  /** One item per request, in order. Missing keys are items with no data and no error. */
  bulkGet?(requests: GetRequest[], options?: BulkOptions): Promise<BulkGetItem[]>;
  /** Not atomic: attempt every item; on failure throw a BulkError listing the failed keys. */
  bulkSet?(requests: SetRequest[], options?: BulkOptions): Promise<void>;
  bulkDelete?(requests: DeleteRequest[], options?: BulkOptions): Promise<void>;
}

export type TransactionOperation =
  | { operation: 'upsert'; request: SetRequest }
  | { operation: 'delete'; request: DeleteRequest };

export interface TransactionRequest {
  operations: TransactionOperation[];
  metadata: Metadata;
}

/** Adds `TRANSACTIONAL`: all operations applied in order, all or nothing. */
export interface TransactionalStore {
  transact(request: TransactionRequest): Promise<void>;
  /** Maximum operations per transaction; `undefined`/`<= 0` = unlimited. */
  multiMaxSize?(): number;
}

/** A filter tree in Dapr's query language: `{EQ:{k:v}}`, `{IN:{k:[...]}}`, `{AND:[...]}`, ... */
export type QueryFilter = Record<string, unknown>;

export interface QuerySort {
  key: string;
  order: 'ASC' | 'DESC';
}

export interface Query {
  filter?: QueryFilter;
  sort: QuerySort[];
  page: { limit: number; token?: string };
}

export interface QueryRequest {
  query: Query;
  metadata: Metadata;
}

export interface QueryItem {
  key: string;
  data?: Uint8Array;
  etag?: string;
  error?: string;
  contentType?: string;
}

export interface QueryResponse {
  items: QueryItem[];
  /** Next-page token; absent or `''` on the last page. */
  token?: string;
  metadata?: Metadata;
}

/** Adds `QUERY_API`. */
export interface QueryableStore {
  query(request: QueryRequest): Promise<QueryResponse>;
}

/** Adds `DELETE_WITH_PREFIX` (in process only: the pluggable protocol has no RPC for it). */
export interface DeleteWithPrefixStore {
  deleteWithPrefix(request: { prefix: string; metadata?: Metadata }): Promise<{ count: number }>;
}

export function isTransactionalStore(store: object): store is TransactionalStore {
  return typeof (store as Partial<TransactionalStore>).transact === 'function';
}

export function isQueryableStore(store: object): store is QueryableStore {
  return typeof (store as Partial<QueryableStore>).query === 'function';
}

export function isDeleteWithPrefixStore(store: object): store is DeleteWithPrefixStore {
  return typeof (store as Partial<DeleteWithPrefixStore>).deleteWithPrefix === 'function';
}
