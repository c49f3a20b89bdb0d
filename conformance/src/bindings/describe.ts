/** The vitest registration of the bindings suite: the only part of the package that imports vitest. */
import { describeSuite } from '../harness/vitest.js';
import { type DescribeInputBindingOptions, type DescribeOutputBindingOptions, inputSpec, outputSpec } from './index.js';

/** Registers the output binding suite with vitest; throws when `definition` is not an outputBinding component. */
export function describeOutputBindingConformance(options: DescribeOutputBindingOptions): void {
  describeSuite('describeOutputBindingConformance', 'output binding', outputSpec(options), options);
}

/** Registers the input binding suite with vitest; throws when `definition` is not an inputBinding component. */
export function describeInputBindingConformance(options: DescribeInputBindingOptions): void {
  describeSuite('describeInputBindingConformance', 'input binding', inputSpec(options), options);
}
