/**
 * @daprkit/conformance/runner — the certification suite without a test framework: `run*Conformance` runs every
 * case in process and over a real unix socket and resolves with the results. Does not import vitest.
 */

export type {
  DescribeInputBindingOptions,
  DescribeOutputBindingOptions,
  InputBindingConfig,
  InputBindingOptions,
  OutputBindingConfig,
  OutputBindingOperation,
  OutputBindingOptions,
} from './bindings/index.js';
export {
  DEFAULT_OUTPUT_DATA,
  runInputBindingConformance,
  runOutputBindingConformance,
} from './bindings/index.js';
export type { CertificationRecord, ModeRecord } from './harness/record.js';
export { buildRecord, renderRecordMarkdown, writeCertificationRecord } from './harness/record.js';
export type { BackendOptions, CaseResult, CaseStatus, DescribeOptions, Mode, SuiteOptions } from './harness/types.js';
export { ALL_MODES } from './harness/types.js';
export type { DescribePubSubOptions, PubSubConfig, PubSubOperation, PubSubOptions } from './pubsub/index.js';
export { PUBSUB_CASES, runPubSubConformance } from './pubsub/index.js';
export type { DescribeSecretStoreOptions, SecretStoreConfig, SecretStoreOptions } from './secretstores/index.js';
export {
  runSecretStoreConformance,
  SECRET_FIXTURE,
} from './secretstores/index.js';
export type { DescribeStateOptions, StateConfig, StateOperation, StateOptions } from './state/index.js';
export { runStateConformance, STATE_CASES } from './state/index.js';
