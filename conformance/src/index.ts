/**
 * @daprkit/conformance — the certification suite for daprkit components. Each `describe*Conformance` call
 * runs the whole suite twice (in process, and served over a real unix socket like daprd drives it) and
 * writes the package's certification record; `run*Conformance` does the same without a test framework.
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
  describeInputBindingConformance,
  describeOutputBindingConformance,
  runInputBindingConformance,
  runOutputBindingConformance,
} from './bindings/index.js';
export type { CertificationRecord, ModeRecord } from './harness/record.js';
export { buildRecord, renderRecordMarkdown, writeCertificationRecord } from './harness/record.js';
export type { BackendOptions, CaseResult, CaseStatus, DescribeOptions, Mode, SuiteOptions } from './harness/types.js';
export { ALL_MODES } from './harness/types.js';
export type { DescribePubSubOptions, PubSubConfig, PubSubOperation, PubSubOptions } from './pubsub/index.js';
export { describePubSubConformance, PUBSUB_CASES, runPubSubConformance } from './pubsub/index.js';
export type { DescribeSecretStoreOptions, SecretStoreConfig, SecretStoreOptions } from './secretstores/index.js';
export {
  describeSecretStoreConformance,
  runSecretStoreConformance,
  SECRET_FIXTURE,
} from './secretstores/index.js';
export type { DescribeStateOptions, StateConfig, StateOperation, StateOptions } from './state/index.js';
export { describeStateConformance, runStateConformance, STATE_CASES } from './state/index.js';
