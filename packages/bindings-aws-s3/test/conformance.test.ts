import { randomUUID } from 'node:crypto';
import { probeAws } from '@daprkit/aws-common/testing';
import { describeOutputBindingConformance } from '@daprkit/conformance';
import { definitions } from '../src/index.js';
import { bindingProperties, createBucket } from './support/s3.js';

const BUCKET = 'daprkit-conformance-s3';

describeOutputBindingConformance({
  definition: definitions[0]!,
  properties: bindingProperties(BUCKET),
  // Upstream claims create/operations/get/list; `delete` is not claimed there either (a get after it is an error,
  // `object not found`, not empty data). The other operations are checked to be listed.
  operations: ['create', 'get', 'list', 'presign', 'bulkGet', 'bulkCreate', 'bulkDelete'],
  // One payload for every invoke: an object, so create stores it as is and list can read it as its options.
  config: { output: { key: randomUUID() }, outputData: '{"maxResults":10}' },
  backend: {
    name: 'moto',
    probe: async () => {
      await probeAws();
      await createBucket(BUCKET);
    },
  },
  packageDir: new URL('..', import.meta.url),
});
