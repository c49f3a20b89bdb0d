/**
 * @daprkit/conformance — the certification suite for daprkit components. Each `describe*Conformance` call
 * runs the whole suite twice (in process, and served over a real unix socket like daprd drives it) and
 * writes the package's certification record (needs vitest); `run*Conformance` does the same without a test framework
 * (also from `@daprkit/conformance/runner`, which does not import vitest).
 */

export { describeInputBindingConformance, describeOutputBindingConformance } from './bindings/describe.js';
export { describePubSubConformance } from './pubsub/describe.js';
// Everything framework-free (run*, records, case lists, option types) is listed once, in runner.ts.
export * from './runner.js';
export { describeSecretStoreConformance } from './secretstores/describe.js';
export { describeStateConformance } from './state/describe.js';
