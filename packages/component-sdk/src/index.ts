/**
 * @daprkit/component-sdk — the contract (v1 interfaces), typed errors, metadata parsing and shared state
 * helpers. Importing this entry never loads the gRPC stack: the server lives in `./server`, the daprd-like
 * client in `./client`, test utilities in `./testing`.
 *
 * Every name is listed on purpose: a new export is a decision, made here.
 */

// Binding request metadata: Go durations, contrib's TTL rule.
export { parseGoDurationMs, tryGetBindingTtlMs } from './binding-metadata.js';
// Runtime helpers: cleanup loops, pub/sub features, logging, package versions.
export { type CleanupLoopOptions, startCleanupLoop } from './cleanup.js';
// Errors: one class per Dapr error family, mapped to gRPC codes by the server.
export {
  BulkDeleteRowMismatchError,
  BulkError,
  BulkStoreError,
  DaprkitError,
  type DaprkitErrorOptions,
  ErrorCode,
  ETagError,
  type ETagErrorKind,
  ETagInvalidError,
  ETagMismatchError,
  errnoOf,
  FailedPreconditionError,
  InvalidArgumentError,
  InvalidMetadataError,
  isETagError,
  KitError,
  NotFoundError,
  toDaprkitError,
  UnavailableError,
  UnimplementedError,
  unusablePathError,
} from './errors.js';
export { resolvePubSubFeatures } from './features.js';
export {
  GoJsonRaw,
  goJsonQuote,
  goJsonStringify,
  jsonDepthExceeds,
  MAX_JSON_DEPTH,
  parseJsonBounded,
} from './go-json.js';
export { goDurationString, goRfc3339Nano, nowEpochNs } from './go-time.js';
export {
  createLogger,
  LOG_AS_JSON_ENV_VAR,
  type LoggerOptions,
  type LogLevel,
  logAsJsonFromEnv,
  scopedLogger,
} from './logger.js';
// Metadata schemas and Dapr's value formats; docs generated from a schema.
export {
  type Field,
  type FieldOptions,
  field,
  isTruthy,
  type MetadataOf,
  type MetadataSchema,
  parseByteSize,
  parseDuration,
  parseMetadata,
} from './metadata.js';
export {
  formatDuration,
  METADATA_TABLE_END,
  METADATA_TABLE_START,
  renderMetadataTable,
  renderMetadataYaml,
  replaceMetadataTable,
} from './metadata-docs.js';
export { readPackageVersion } from './package-version.js';
// The state query language (filters, sorting, paging) for stores that evaluate it themselves.
export {
  compareForSort,
  type FilterNode,
  jsonPath,
  matchesFilter,
  parseQuery,
  parseQueryFilter,
  runQuery,
} from './query.js';
export { type IncomingTraceContext, incomingTraceContext } from './server/incoming-trace.js';
export { invokeSqlBinding, parseSqlParams, SQL_BINDING_OPERATIONS, type SqlBindingDriver } from './sql-binding.js';
// State helpers shared by every store: ETags, TTLs, keys, options, bulk fallbacks, features.
export {
  bulk,
  contentTypeOf,
  defaultBulkDelete,
  defaultBulkGet,
  defaultBulkSet,
  expiryFromTtl,
  hasETag,
  isFirstWrite,
  KEY_SEPARATOR,
  mapLimit,
  newETag,
  normalizeDeletePrefix,
  originalKey,
  parseConcurrency,
  parseConsistency,
  parseTtlInSeconds,
  resolveStateFeatures,
  TTL_EXPIRE_TIME_KEY,
  TTL_METADATA_KEY,
  toStateBytes,
  ttlExpireTimeMetadata,
} from './state-helpers.js';
// The contract (v1): what a component implements, per building block.
export type {
  BindingEvent,
  BindingEventHandler,
  InputBinding,
  InvokeRequest,
  InvokeResponse,
  OutputBinding,
} from './v1/bindings.js';
export { type Component, type ComponentContext, type Logger, type Metadata, silentLogger } from './v1/common.js';
export { type ComponentDefinition, type ComponentKind, type ComponentKinds, defineComponent } from './v1/definition.js';
// The one table of component kinds (category, socket service, proto).
export {
  COMPONENT_KINDS,
  type ComponentCategory,
  type ComponentKindInfo,
  categoryOfType,
  componentKindInfo,
  componentKindOfService,
  componentKindsOfCategory,
} from './v1/kinds.js';
export {
  type BulkMessageEntry,
  type BulkPublishRequest,
  type BulkPublishResponse,
  isBulkPublisher,
  type MessageHandler,
  type PublishRequest,
  type PubSub,
  PubSubFeature,
  type PubSubMessage,
  type SubscribeRequest,
} from './v1/pubsub.js';
export { type Secret, type SecretStore, SecretStoreFeature } from './v1/secretstores.js';
export {
  type BulkGetItem,
  type BulkOptions,
  type Concurrency,
  type Consistency,
  type DeleteRequest,
  type DeleteWithPrefixStore,
  type GetRequest,
  type GetResponse,
  isDeleteWithPrefixStore,
  isQueryableStore,
  isTransactionalStore,
  type Query,
  type QueryableStore,
  type QueryFilter,
  type QueryItem,
  type QueryRequest,
  type QueryResponse,
  type QuerySort,
  type SetRequest,
  StateFeature,
  type StateOptions,
  type StateStore,
  type TransactionalStore,
  type TransactionOperation,
  type TransactionRequest,
} from './v1/state.js';
// This package.
export { VERSION } from './version.js';
