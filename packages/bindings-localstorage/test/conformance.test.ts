import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeOutputBindingConformance } from '@daprkit/conformance';
import { definitions } from '../src/index.js';

// No upstream entry. create/get run with upstream's default payload (a JSON array: neither a Go literal nor
// base64, so it is stored as is). `delete` and `list` are not claimed as cases, as contrib could not pass them
// either: after a delete, `get` of the missing file is an error (`file not found`), not the empty response
// B-DELETE expects; and `list` with the same `fileName` metadata names a file, not a directory (an error). The unit
// tests cover both.
const rootPath = await mkdtemp(join(tmpdir(), 'dk-localstorage-conf-'));

describeOutputBindingConformance({
  definition: definitions[0]!,
  properties: { rootPath },
  operations: ['create', 'get'],
  config: { output: { fileName: 'conformance/data.json' } },
  packageDir: new URL('..', import.meta.url),
});
