/**
 * Resources for the reliability tests (json-depth, fuzz): the in-memory state store and pub/sub, a localstorage
 * output binding and a local-file secret store, each in a fresh temp folder.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function component(name: string, type: string, metadata: Record<string, string>): string {
  const items = Object.entries(metadata)
    .map(([k, v]) => `    - name: ${k}\n      value: ${JSON.stringify(v)}`)
    .join('\n');
  return `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${name}\nspec:\n  type: ${type}\n  version: v1\n  metadata:\n${items || '    []'}\n`;
}

/** A resources folder; the sidecar's binding writes under `<dir>/files`. */
export async function writeReliabilityResources(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'daprkit-reliability-'));
  await mkdir(join(dir, 'files'));
  await mkdir(join(dir, 'resources'));
  await writeFile(join(dir, 'secrets.json'), JSON.stringify({ db: { password: 'fuzz-secret' }, plain: 'v' }));
  const docs = [
    component('statestore', 'state.in-memory', {}),
    component('pubsub', 'pubsub.in-memory', {}),
    component('files', 'bindings.localstorage', { rootPath: join(dir, 'files') }),
    component('secrets', 'secretstores.local.file', { secretsFile: join(dir, 'secrets.json') }),
  ];
  await writeFile(join(dir, 'resources', 'components.yaml'), docs.join('---\n'));
  return join(dir, 'resources');
}
