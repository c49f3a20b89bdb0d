/**
 * @daprkit/conformance — the certification suite for daprkit components. Each `describe*Conformance` call
 * runs the whole suite twice (in process, and served over a real unix socket like daprd drives it) and
 * writes the package's certification record; `run*Conformance` does the same without a test framework.
 */

export type { CertificationRecord, ModeRecord } from './harness/record.js';
export { buildRecord, renderRecordMarkdown, writeCertificationRecord } from './harness/record.js';
export type { BackendOptions, CaseResult, CaseStatus, DescribeOptions, Mode, SuiteOptions } from './harness/types.js';
export { ALL_MODES } from './harness/types.js';
export type { DescribeStateOptions, StateConfig, StateOperation, StateOptions } from './state/index.js';
export { describeStateConformance, runStateConformance, STATE_CASES } from './state/index.js';
