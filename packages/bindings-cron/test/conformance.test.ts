import { describeInputBindingConformance, describeOutputBindingConformance } from '@daprkit/conformance';
import { definitions } from '../src/index.js';

// Upstream's cron entry: operations ["read"], schedule "@every 1s".
describeInputBindingConformance({
  definition: definitions[0]!,
  properties: { schedule: '@every 1s' },
  config: { readBindingTimeoutMs: 10_000, readBindingWaitMs: 100 },
  packageDir: new URL('..', import.meta.url),
});

// The output side: its one operation, `delete` (stops the schedule).
describeOutputBindingConformance({
  definition: definitions[1]!,
  properties: { schedule: '@every 1s' },
  operations: ['delete'],
  packageDir: new URL('..', import.meta.url),
});
