import { describePubSubConformance } from '@daprkit/conformance';
import { definitions } from '../src/index.js';

describePubSubConformance({
  definition: definitions[0]!,
  // Fast redelivery keeps the at-least-once cases short.
  properties: { redeliveryDelay: '50ms', maxRedeliveryDelay: '500ms' },
  operations: ['bulkpublish'],
  config: { metadataRoundTrip: true },
  packageDir: new URL('..', import.meta.url),
});
