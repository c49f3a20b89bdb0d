/** The vitest registration of the pubsub suite: the only part of the package that imports vitest. */
import { describeSuite } from '../harness/vitest.js';
import { type DescribePubSubOptions, pubsubSpec } from './index.js';

/**
 * Registers the pub/sub suite with vitest and writes `<packageDir>/certification/pubsub.{json,md}`; throws when
 * `definition` is not a pubsub component.
 */
export function describePubSubConformance(options: DescribePubSubOptions): void {
  describeSuite('describePubSubConformance', 'pubsub', pubsubSpec(options), options);
}
