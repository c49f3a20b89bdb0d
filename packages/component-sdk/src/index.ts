/**
 * @daprkit/component-sdk — the contract (v1 interfaces), typed errors, metadata parsing and shared state
 * helpers. Importing this entry never loads the gRPC stack: the server lives in `./server`, the daprd-like
 * client in `./client`, test utilities in `./testing`.
 */

export { parseGoDurationMs, tryGetBindingTtlMs } from './binding-metadata.js';
export { type CleanupLoopOptions, startCleanupLoop } from './cleanup.js';
export * from './errors.js';
export { resolvePubSubFeatures } from './features.js';
export { GoJsonRaw, goJsonQuote, goJsonStringify } from './go-json.js';
export { goDurationString, goRfc3339Nano, nowEpochNs } from './go-time.js';
export { createLogger, type LogLevel } from './logger.js';
export * from './metadata.js';
export * from './metadata-docs.js';
export { readPackageVersion } from './package-version.js';
export * from './query.js';
export { invokeSqlBinding, parseSqlParams, SQL_BINDING_OPERATIONS, type SqlBindingDriver } from './sql-binding.js';
export * from './state-helpers.js';
export * from './v1/bindings.js';
export * from './v1/common.js';
export * from './v1/definition.js';
export * from './v1/pubsub.js';
export * from './v1/secretstores.js';
export * from './v1/state.js';
export { VERSION } from './version.js';
