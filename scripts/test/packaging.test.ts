// What an npm user gets: every package packed as it would be published, installed from the tarballs into fresh
// projects OUTSIDE the workspace — a default CommonJS one and an ESM + TypeScript one (nodenext,
// skipLibCheck: false) — imported, its bins run with --help/--version, and the scaffold run end to end (each
// generated package installed from the tarballs and certified by its own conformance test).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'daprkit-packaging-'));
const tarballs = join(scratch, 'tarballs');
const TIMEOUT = 15 * 60_000;

interface Packed {
  name: string;
  dir: string;
  tarball: string;
  bins: string[];
  component: boolean;
}
const packed: Packed[] = [];

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    return execFileSync(command, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        npm_config_audit: 'false',
        npm_config_fund: 'false',
        npm_config_update_notifier: 'false',
        ...env,
      },
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    // tsc and vitest report on stdout: keep both streams in the failure.
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(
      `${command} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}\n${stderr ?? ''}`.slice(0, 20_000),
    );
  }
}

/** A project depending on every tarball by file:, with overrides so their @daprkit deps resolve to them too. */
function project(
  dir: string,
  extra: Record<string, unknown>,
  devDependencies: Record<string, string> = {},
  only?: string[],
): string {
  mkdirSync(dir, { recursive: true });
  const files = Object.fromEntries(
    packed.filter((p) => only === undefined || only.includes(p.name)).map((p) => [p.name, `file:${p.tarball}`]),
  );
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      {
        name: 'consumer',
        version: '1.0.0',
        private: true,
        ...extra,
        dependencies: files,
        devDependencies,
        overrides: files,
      },
      null,
      2,
    ),
  );
  run('npm', ['install', '--no-package-lock', '--loglevel=error'], dir);
  return dir;
}

const tarballMap = () => Object.fromEntries(packed.map((p) => [p.name, `file:${p.tarball}`]));

function duBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += duBytes(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

beforeAll(() => {
  mkdirSync(tarballs);
  const dirs = [...readdirSync(join(root, 'packages')).map((d) => join('packages', d)), 'conformance'];
  for (const dir of dirs.sort()) {
    const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
    if (manifest.private) continue;
    // pnpm pack rewrites workspace: ranges into real versions, as publishing does.
    const out = run('pnpm', ['pack', '--pack-destination', tarballs], join(root, dir)).trim().split('\n').at(-1)!;
    packed.push({
      name: manifest.name,
      dir,
      tarball: out.startsWith('/') ? out : join(tarballs, out),
      bins: Object.keys(manifest.bin ?? {}),
      component: /^packages\/(state|pubsub|bindings|secretstores)-/.test(dir),
    });
  }
}, TIMEOUT);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('packed tarballs', () => {
  it('ship LICENSE, their sources and no dangling maps or dev paths', () => {
    for (const p of packed) {
      const listing = run('tar', ['-tzf', p.tarball], scratch).split('\n');
      expect(listing, p.name).toContain('package/LICENSE');
      expect(listing, p.name).toContain('package/README.md');
      for (const map of listing.filter((f) => f.endsWith('.js.map'))) {
        const source = JSON.parse(run('tar', ['-xzOf', p.tarball, map], scratch)).sources as string[];
        for (const s of source) {
          const resolved = join('package', map.split('/').slice(1, -1).join('/'), s).replace(/\\/g, '/');
          expect(listing, `${p.name}: ${map} → ${s}`).toContain(resolved.replace(/\/\.\//g, '/'));
        }
      }
      if (p.component) expect(listing, p.name).toContain('package/metadata.yaml');
      const manifest = JSON.parse(run('tar', ['-xzOf', p.tarball, 'package/package.json'], scratch));
      expect(JSON.stringify(manifest.dependencies ?? {}), p.name).not.toContain('workspace:');
    }
  });

  it(
    'install into a CommonJS project: require() every package, and every bin answers --help and --version',
    () => {
      const dir = project(
        join(scratch, 'cjs'),
        { type: 'commonjs' },
        { typescript: '~5.9.3', '@types/node': '^20.19.0', vitest: '^4.1.12' },
      );
      const script = `for (const name of ${JSON.stringify(packed.map((p) => p.name))}) {
        const m = require(name);
        if (Object.keys(m).length === 0) throw new Error(name + ' exports nothing');
        if (${JSON.stringify(packed.filter((p) => p.component).map((p) => p.name))}.includes(name) && !Array.isArray(m.definitions))
          throw new Error(name + ' has no definitions');
      }
      console.log('required', ${packed.length});`;
      expect(run('node', ['-e', script], dir)).toContain(`required ${packed.length}`);
      for (const p of packed) {
        for (const bin of p.bins) {
          const version = JSON.parse(readFileSync(join(root, p.dir, 'package.json'), 'utf8')).version;
          const binPath = join(dir, 'node_modules', '.bin', bin);
          if (bin === 'daprkit-sidecar') {
            // Like daprd, --version prints the Dapr version Dapr tooling parses; --build-info names ours.
            expect(run(binPath, ['--version'], dir).trim(), bin).toMatch(/^1\.\d+\.\d+$/);
            expect(run(binPath, ['--build-info'], dir), bin).toContain(`daprkit-sidecar ${version}`);
          } else expect(run(binPath, ['--version'], dir).trim(), bin).toBe(version);
          const help = run(binPath, ['--help'], dir);
          expect(help, bin).toMatch(/--[a-z]/);
          if (p.component) expect(help, bin).toMatch(/spec\.type: \S+\.daprkit-/);
        }
      }
      const sidecar = join(dir, 'node_modules', '@daprkit', 'sidecar');
      console.log(
        `sidecar install (the CommonJS project's node_modules, every package): ${(duBytes(join(dir, 'node_modules')) / 1e6).toFixed(1)} MB; @daprkit/sidecar itself ${(duBytes(sidecar) / 1e6).toFixed(1)} MB`,
      );
    },
    TIMEOUT,
  );

  it(
    'install into an ESM + TypeScript project (nodenext, skipLibCheck false): type-checks and imports',
    () => {
      // Inside the CommonJS project's folder, so it resolves that node_modules: one install (better-sqlite3 compiles
      // from source on every install) serves both consumers.
      const dir = join(scratch, 'cjs', 'esm-ts');
      mkdirSync(dir);
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'esm-consumer', private: true, type: 'module' }));
      const imports = packed.map((p, i) => `import * as m${i} from '${p.name}';`).join('\n');
      writeFileSync(
        join(dir, 'index.ts'),
        `${imports}\nconst all: object[] = [${packed.map((_, i) => `m${i}`).join(', ')}];\nconsole.log('imported', all.length);\n`,
      );
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            module: 'nodenext',
            moduleResolution: 'nodenext',
            strict: true,
            skipLibCheck: false,
            types: ['node'],
            outDir: 'out',
          },
          files: ['index.ts'],
        }),
      );
      run(join(scratch, 'cjs', 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], dir);
      expect(run('node', ['out/index.js'], dir)).toContain(`imported ${packed.length}`);
    },
    TIMEOUT,
  );

  it(
    'npm create @daprkit/component, every kind: the generated packages install and pass their conformance tests',
    () => {
      const kinds = ['state', 'pubsub', 'binding', 'secretstore'] as const;
      const home = project(join(scratch, 'create'), {}, {}, ['@daprkit/create-component', '@daprkit/component-sdk']);
      const bin = join(home, 'node_modules', '.bin', 'create-daprkit-component');
      const local = tarballMap();
      // One npm workspace for the four generated packages: one install instead of four.
      const workspace = join(scratch, 'generated');
      mkdirSync(workspace);
      for (const kind of kinds) {
        run(bin, [join(workspace, kind), '--kind', kind, '--name', `my-${kind}`], home);
        // Point the generated @daprkit ranges at the tarballs (they are not on the registry yet).
        const path = join(workspace, kind, 'package.json');
        const manifest = JSON.parse(readFileSync(path, 'utf8'));
        for (const section of ['dependencies', 'devDependencies'] as const)
          for (const name of Object.keys(manifest[section])) if (local[name]) manifest[section][name] = local[name];
        writeFileSync(path, JSON.stringify(manifest, null, 2));
      }
      const used = {
        '@daprkit/component-sdk': local['@daprkit/component-sdk'],
        '@daprkit/conformance': local['@daprkit/conformance'],
      };
      writeFileSync(
        join(workspace, 'package.json'),
        JSON.stringify({ name: 'generated', private: true, workspaces: [...kinds], overrides: used }, null, 2),
      );
      run('npm', ['install', '--no-package-lock', '--loglevel=error'], workspace);
      for (const kind of kinds) {
        const generated = join(workspace, kind);
        const output = run('npm', ['test'], generated, { CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' });
        expect(output, kind).toMatch(/Tests\s+\d+ passed/);
        expect(output, kind).not.toMatch(/\d+ failed/);
        const records = readdirSync(join(generated, 'certification')).filter((f) => f.endsWith('.json'));
        expect(records, kind).toHaveLength(1);
        const record = JSON.parse(readFileSync(join(generated, 'certification', records[0]!), 'utf8'));
        expect(record.modes['in-process'].certified, kind).toBe(true);
        expect(record.modes.socket.certified, kind).toBe(true);
        const category = { state: 'state', pubsub: 'pubsub', binding: 'bindings', secretstore: 'secretstores' }[kind];
        const help = run(join(generated, 'bin', `${category}-my-${kind}.js`), ['--help'], generated);
        expect(help, kind).toContain(`my-${kind}.sock`);
        expect(help, kind).toContain(`spec.type: ${category}.my-${kind}`);
      }
    },
    TIMEOUT,
  );
});
