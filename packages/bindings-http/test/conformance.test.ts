import { describeOutputBindingConformance } from '@daprkit/conformance';
import { afterAll } from 'vitest';
import { definitions } from '../src/index.js';
import { startTestServers } from './support/servers.js';

// Upstream's http entry: operations ["create", "operations"] against a helper server the suite starts; ours is
// started here (on a free port instead of 22222) and records what the binding POSTs.
const servers = await startTestServers();
afterAll(() => servers.close());

describeOutputBindingConformance({
  definition: definitions[0]!,
  properties: { url: `${servers.httpUrl}/call` },
  operations: ['create'],
  packageDir: new URL('..', import.meta.url),
});
