// Every package keeps the same publishable shape, so adding a backend can't silently skip a step.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const read = (p: string) => readFileSync(join(root, p), 'utf8');
const packageDirs = [...readdirSync(join(root, 'packages')).map((d) => `packages/${d}`), 'conformance'].filter((d) =>
  existsSync(join(root, d, 'package.json')),
);
const isComponentPackage = (dir: string) => /^packages\/(state|pubsub|bindings|secretstores)-/.test(dir);
const solution = JSON.parse(read('tsconfig.json')) as { references: { path: string }[] };

describe.each(packageDirs)('%s', (dir) => {
  const pkg = JSON.parse(read(`${dir}/package.json`));
  const short = dir.split('/').pop();

  it('is publishable under @daprkit with types, files, engines and public access', () => {
    expect(pkg.name).toBe(`@daprkit/${short}`);
    expect(pkg.type).toBe('module');
    expect(pkg.exports['.'].types).toMatch(/^\.\/dist\/.*\.d\.ts$/);
    expect(pkg.exports['.'].source).toMatch(/^\.\/src\//);
    expect(pkg.files).toContain('dist');
    expect(pkg.engines.node).toBe('>=20');
    expect(pkg.publishConfig.access).toBe('public');
    expect(pkg.license).toBe('Apache-2.0');
    // CommonJS consumers (Node >= 20.19 require() ESM) need `default`; maps and `source` need src shipped.
    for (const [subpath, target] of Object.entries(pkg.exports as Record<string, unknown>)) {
      if (typeof target === 'object' && target !== null) expect(target, subpath).toHaveProperty('default');
    }
    expect(pkg.files).toEqual(expect.arrayContaining(['src', 'LICENSE']));
    expect(existsSync(join(root, dir, 'LICENSE'))).toBe(true);
    if (existsSync(join(root, dir, 'proto'))) expect(pkg.files).toContain('NOTICE');
  });

  it('has a README and is part of the TypeScript build', () => {
    expect(existsSync(join(root, dir, 'README.md'))).toBe(true);
    expect(solution.references.map((r) => r.path)).toContain(dir);
  });

  it.runIf(isComponentPackage(dir))(
    'ships a plugin bin, definitions that match package.json, and a conformance hookup',
    async () => {
      const binName = `daprkit-${short}`;
      expect(pkg.bin?.[binName]).toBe(`./bin/${binName}.js`);
      expect(existsSync(join(root, dir, 'bin', `${binName}.js`))).toBe(true);
      expect(existsSync(join(root, dir, 'test', 'conformance.test.ts'))).toBe(true);
      const mod = await import(join(root, dir, 'src', 'index.ts'));
      expect(mod.VERSION).toBe(pkg.version);
      expect(mod.definitions.length).toBeGreaterThan(0);
      for (const definition of mod.definitions) {
        expect(definition.packageName).toBe(pkg.name);
        expect(definition.version).toBe(pkg.version);
        expect(definition.socketName).toMatch(/^daprkit-/);
      }
      const readme = read(`${dir}/README.md`);
      expect(readme).toMatch(/metadata/i);
      // Generated from the schema by `pnpm docs`; `docs --check` in scripts/test.sh keeps them current.
      expect(mod.definitions.some((d: { metadata?: unknown }) => d.metadata !== undefined)).toBe(true);
      expect(readme).toContain('<!-- metadata-table:start');
      expect(existsSync(join(root, dir, 'metadata.yaml'))).toBe(true);
      expect(pkg.files).toContain('metadata.yaml');
      // How to run it: `npx @daprkit/<pkg>` (one bin per package) — the unscoped bin name alone fails outside a project.
      expect(readme).toContain(`npx ${pkg.name}`);
    },
  );
});

/** Whether a caret range (`^0.1.0`, `^2.3.0`) accepts `version`: npm's rule, without a semver dependency. */
function caretAccepts(range: string, version: string): boolean {
  const [rMajor, rMinor, rPatch] = range.replace(/^\^/, '').split('.').map(Number) as [number, number, number];
  const [major, minor, patch] = version.split('.').map(Number) as [number, number, number];
  if (rMajor > 0) return major === rMajor && (minor > rMinor || (minor === rMinor && patch >= rPatch));
  return major === 0 && minor === rMinor && patch >= rPatch;
}

describe('create-component', () => {
  it('the ranges it writes into generated packages accept the versions in this workspace', () => {
    const manifest = JSON.parse(read('packages/create-component/package.json'));
    const ranges = manifest.daprkit.templateDependencies as Record<string, string>;
    for (const [name, dir] of [
      ['@daprkit/component-sdk', 'packages/component-sdk'],
      ['@daprkit/conformance', 'conformance'],
    ] as const) {
      const version = JSON.parse(read(`${dir}/package.json`)).version as string;
      expect(caretAccepts(ranges[name]!, version), `${name} ${ranges[name]} vs ${version}`).toBe(true);
    }
  });
});
