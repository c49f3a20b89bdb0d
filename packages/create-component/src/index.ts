/**
 * `npm create @daprkit/component`: writes a component package shaped like daprkit's own (`packages/state-redis`):
 * contract module, metadata schema, `defineComponent`, a plugin bin, a README whose metadata table is rendered
 * from the schema, a conformance test and a changeset. Its tests pass right after `npm install && npm test`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { METADATA_TABLE_END, METADATA_TABLE_START, renderMetadataTable } from '@daprkit/component-sdk';
import { fieldsSchema, fieldsSource, KINDS, type Kind, type Names, TEMPLATES } from './templates.js';

export { KINDS, type Kind } from './templates.js';

export interface ScaffoldOptions {
  kind: Kind;
  /** Component name: lower-case letters, digits and dashes (`foo` → YAML `state.foo`). */
  name: string;
  /** npm package name; default `<kind>-<name>` (e.g. `@acme/state-foo` to publish under a scope). */
  packageName?: string;
  /** Folder to create; must not exist or be empty. Default: `./<package name without scope>`. */
  dir?: string;
}

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;
const KIND_PREFIX: Record<Kind, string> = {
  state: 'state',
  pubsub: 'pubsub',
  binding: 'bindings',
  secretstore: 'secretstores',
};

/** The ranges a generated package depends on (kept in this package's package.json, checked in CI). */
function templateDependencies(): Record<string, string> {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    daprkit: { templateDependencies: Record<string, string> };
  };
  return manifest.daprkit.templateDependencies;
}

function namesOf(options: ScaffoldOptions): Names {
  if (!NAME.test(options.name)) {
    throw new Error(`name '${options.name}': use lower-case letters, digits and single dashes, starting with a letter`);
  }
  const packageName = options.packageName ?? `${KIND_PREFIX[options.kind]}-${options.name}`;
  if (!PACKAGE_NAME.test(packageName)) throw new Error(`package name '${packageName}' is not a valid npm name`);
  const pascal = options.name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
  return {
    name: options.name,
    pascal,
    camel: pascal[0]!.toLowerCase() + pascal.slice(1),
    packageName,
    binName: packageName.replace(/^@[^/]+\//, ''),
  };
}

/** The files of a generated package, path → content (no file system access). */
export function renderPackage(options: ScaffoldOptions): Record<string, string> {
  const n = namesOf(options);
  const t = TEMPLATES[options.kind];
  const deps = templateDependencies();
  const yamlType = `${t.category}.${n.name}`;
  const module = t.module(n);
  const schemaName = `${n.camel}MetadataSchema`;
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  return {
    'package.json': json({
      name: n.packageName,
      version: '0.1.0',
      description: `A Dapr ${t.title} (${yamlType}) built on @daprkit/component-sdk.`,
      type: 'module',
      license: 'Apache-2.0',
      engines: { node: '>=20' },
      exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' }, './package.json': './package.json' },
      main: './dist/index.js',
      types: './dist/index.d.ts',
      bin: { [n.binName]: `./bin/${n.binName}.js` },
      files: ['dist', 'src', 'bin', 'README.md', 'CHANGELOG.md'],
      scripts: {
        build: 'tsc -p tsconfig.json',
        test: 'npm run build && vitest run',
        changeset: 'changeset',
        version: 'changeset version',
        prepublishOnly: 'npm run build',
      },
      dependencies: { '@daprkit/component-sdk': deps['@daprkit/component-sdk'] },
      devDependencies: {
        '@changesets/cli': deps['@changesets/cli'],
        '@daprkit/conformance': deps['@daprkit/conformance'],
        '@types/node': deps['@types/node'],
        typescript: deps.typescript,
        vitest: deps.vitest,
      },
    }),
    'tsconfig.json': json({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2023'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noUncheckedIndexedAccess: true,
        declaration: true,
        sourceMap: true,
        skipLibCheck: false,
        verbatimModuleSyntax: true,
        types: ['node'],
        rootDir: 'src',
        outDir: 'dist',
      },
      include: ['src'],
    }),
    '.gitignore': 'node_modules\ndist\n',
    'src/index.ts': `import { type ComponentDefinition, defineComponent, readPackageVersion } from '@daprkit/component-sdk';
import { ${module.className} } from './${module.file}.js';
import { ${schemaName} } from './metadata.js';

export { ${module.className} } from './${module.file}.js';
export { ${schemaName}, parse${n.pascal}Settings } from './metadata.js';

/** This package's version, read from package.json so it never drifts from what changesets publish. */
export const VERSION = readPackageVersion(import.meta.url);

/** A new, uninitialised instance (call init with the component metadata). */
export function create${module.className}(): ${module.className} {
  return new ${module.className}();
}

/**
 * Served as \`${t.category}.${n.name}\` over a socket (\`${n.name}.sock\`) next to daprd, and as \`${yamlType}\` in
 * the daprkit sidecar (in process).
 */
export const definitions: ComponentDefinition[] = [
  defineComponent({
    kind: '${t.sdkKind}',
    socketName: '${n.name}',
    types: ['${yamlType}'],
    packageName: '${n.packageName}',
    version: VERSION,
    metadata: ${schemaName},
    create: () => create${module.className}(),
  }),
];
`,
    'src/metadata.ts': `import { field, type Metadata, type MetadataOf, parseMetadata } from '@daprkit/component-sdk';

/**
 * Component metadata (YAML \`spec.metadata\`): names match case-insensitively, every error names the field,
 * unknown keys are ignored (daprd passes its own). The README table is rendered from this schema.
 */
export const ${schemaName} = {
${fieldsSource(t.fields)}
};

export type ${n.pascal}Settings = MetadataOf<typeof ${schemaName}>;

export function parse${n.pascal}Settings(properties: Metadata): ${n.pascal}Settings {
  return parseMetadata(properties, ${schemaName});
}
`,
    [`src/${module.file}.ts`]: module.source,
    [`bin/${n.binName}.js`]: `#!/usr/bin/env node
// Serves this package's component on a unix socket for daprd: --socket PATH | --socket-folder DIR (see --help).
import { runPluginCli } from '@daprkit/component-sdk/server';
import { definitions } from '../dist/index.js';

await runPluginCli(definitions, process.argv.slice(2));
`,
    'test/conformance.test.ts': t.conformance(n),
    '.changeset/config.json': json({
      $schema: 'https://unpkg.com/@changesets/config@3.0.0/schema.json',
      changelog: '@changesets/cli/changelog',
      commit: false,
      access: 'public',
      baseBranch: 'main',
    }),
    [`.changeset/${n.binName}-initial.md`]: `---
"${n.packageName}": minor
---

First release of the ${yamlType} ${t.title}.
`,
    'README.md': `# ${n.packageName}

A Dapr ${t.title}, \`${yamlType}\`, built on [@daprkit/component-sdk](https://www.npmjs.com/package/@daprkit/component-sdk).
Features: ${t.features}.

## Metadata

${METADATA_TABLE_START}

${renderMetadataTable(fieldsSchema(t.fields))}

${METADATA_TABLE_END}

## Run it as a pluggable component next to daprd

\`\`\`sh
npm run build
npx ${n.packageName} --socket-folder /tmp/dapr-components-sockets --ready-file /tmp/${n.name}.ready
DAPR_COMPONENTS_SOCKETS_FOLDER=/tmp/dapr-components-sockets daprd --app-id myapp --resources-path ./components
\`\`\`

\`\`\`yaml
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: my${n.camel}
spec:
  type: ${t.category}.${n.name}
  version: v1
  metadata: []
\`\`\`

## Use it in the daprkit sidecar

Install it next to \`@daprkit/sidecar\` and map the type in a registry file (\`{"${yamlType}": "${n.packageName}"}\`,
\`daprkit-sidecar --registry registry.json\`).

## Test and certify

\`npm test\` builds, then runs \`test/conformance.test.ts\`: every conformance case in process and over a real unix
socket, as daprd drives a plugin. Results land in \`certification/\`. Record user-visible changes with
\`npx changeset\`.
`,
  };
}

/** Writes the package into `options.dir`; returns the folder and the files written. */
export function scaffold(options: ScaffoldOptions): { dir: string; files: string[] } {
  const files = renderPackage(options);
  const dir = resolve(options.dir ?? namesOf(options).binName);
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new Error(`folder '${dir}' exists and is not empty`);
  for (const [path, content] of Object.entries(files)) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content, path.startsWith('bin/') ? { mode: 0o755 } : {});
  }
  return { dir, files: Object.keys(files).sort() };
}

const USAGE = `usage: npm create @daprkit/component [dir] -- [--kind ${KINDS.join('|')}] [--name NAME] [--package NPM-NAME]
       create-daprkit-component [dir] [--kind ...] [--name ...] [--package ...]
  --kind KIND       what to build: ${KINDS.join(', ')} (asked when missing and a terminal is attached)
  --name NAME       component name: YAML type <category>.NAME, socket NAME.sock (default: the folder name)
  --package NAME    npm package name (default: <category>-<name>, e.g. state-foo; use @scope/... to publish)
  -h, --help        this text
  -v, --version     this tool's version`;

/** The command line; returns the exit code (0 done, 2 usage error, 1 failure). */
export async function runCreateCli(argv: string[]): Promise<number> {
  let parsed: ReturnType<
    typeof parseArgs<{
      options: {
        kind: { type: 'string' };
        name: { type: 'string' };
        package: { type: 'string' };
        help: { type: 'boolean'; short: 'h' };
        version: { type: 'boolean'; short: 'v' };
      };
      allowPositionals: true;
    }>
  >;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        kind: { type: 'string' },
        name: { type: 'string' },
        package: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
    return 0;
  }
  if (positionals.length > 1) {
    process.stderr.write(`give one folder, got ${positionals.length}\n${USAGE}\n`);
    return 2;
  }
  const dir = positionals[0];
  let kind = values.kind;
  let name = values.name ?? (dir === undefined ? undefined : basename(resolve(dir)));
  if ((kind === undefined || name === undefined) && process.stdin.isTTY) {
    const prompt = createInterface({ input: process.stdin, output: process.stdout });
    try {
      kind ??= (await prompt.question(`Kind (${KINDS.join('/')}) [state]: `)).trim() || 'state';
      name ??= (await prompt.question('Component name (e.g. my-store): ')).trim();
    } finally {
      prompt.close();
    }
  }
  if (kind === undefined || name === undefined || name === '') {
    process.stderr.write(`--kind and --name are needed (no terminal to ask on)\n${USAGE}\n`);
    return 2;
  }
  if (!(KINDS as readonly string[]).includes(kind)) {
    process.stderr.write(`--kind must be one of ${KINDS.join(', ')}, got '${kind}'\n`);
    return 2;
  }
  try {
    const options: ScaffoldOptions = { kind: kind as Kind, name };
    if (values.package !== undefined) options.packageName = values.package;
    if (dir !== undefined) options.dir = dir;
    const result = scaffold(options);
    process.stdout.write(
      `Created ${result.dir} (${result.files.length} files).\nNext: cd ${result.dir} && npm install && npm test\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(`create-daprkit-component: ${(error as Error).message}\n`);
    return 1;
  }
}
