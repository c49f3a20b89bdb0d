// `pnpm docs` — every component package's README metadata table and metadata.yaml (components-contrib's format),
// generated from the metadata schema its definitions declare, so the docs cannot drift from what Init accepts.
// `--check` (CI) fails when a generated file is out of date. Reads the built dist (run `pnpm build` first).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
const check = process.argv.includes('--check');
const sdk = await import(pathToFileURL(join(root, 'packages/component-sdk/dist/index.js')).href);
const stale = [];
let count = 0;

const write = (path, text) => {
  const before = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (before === text) return;
  if (check) stale.push(path.slice(root.length));
  else writeFileSync(path, text);
};

for (const dir of readdirSync(join(root, 'packages')).sort()) {
  if (!/^(state|pubsub|bindings|secretstores)-/.test(dir)) continue;
  const pkgDir = join(root, 'packages', dir);
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const { definitions } = await import(pathToFileURL(join(pkgDir, 'dist/index.js')).href);
  const documented = definitions.filter((d) => d.metadata !== undefined);
  if (documented.length === 0) {
    stale.push(`packages/${dir}: no definition declares \`metadata\` (its schema)`);
    continue;
  }
  const schema = Object.assign({}, ...documented.map((d) => d.metadata));
  const readmePath = join(pkgDir, 'README.md');
  try {
    write(readmePath, sdk.replaceMetadataTable(readFileSync(readmePath, 'utf8'), schema));
  } catch (error) {
    stale.push(`packages/${dir}/README.md: ${error.message}`);
  }
  const type = documented[0].types[0];
  write(
    join(pkgDir, 'metadata.yaml'),
    sdk.renderMetadataYaml(documented, schema, { title: type, description: manifest.description }),
  );
  count++;
}
if (stale.length > 0) {
  console.error(
    `docs: ${check ? 'out of date (run pnpm build && pnpm docs)' : 'cannot generate'}:\n  ${stale.join('\n  ')}`,
  );
  process.exit(1);
}
console.log(`docs: ${count} packages ${check ? 'up to date' : 'written'}`);
