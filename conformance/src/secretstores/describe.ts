/** The vitest registration of the secretstores suite: the only part of the package that imports vitest. */
import { describeSuite } from '../harness/vitest.js';
import { type DescribeSecretStoreOptions, secretStoreSpec } from './index.js';

/** Registers the secret store suite with vitest; throws when `definition` is not a secretStore component. */
export function describeSecretStoreConformance(options: DescribeSecretStoreOptions): void {
  describeSuite('describeSecretStoreConformance', 'secret store', secretStoreSpec(options), options);
}
