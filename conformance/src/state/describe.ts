/** The vitest registration of the state suite: the only part of the package that imports vitest. */
import { describeSuite } from '../harness/vitest.js';
import { type DescribeStateOptions, stateSpec } from './index.js';

/**
 * Registers the state suite with vitest and writes `<packageDir>/certification/state.{json,md}`; throws when
 * `definition` is not a state component.
 */
export function describeStateConformance(options: DescribeStateOptions): void {
  describeSuite('describeStateConformance', 'state', stateSpec(options), options);
}
