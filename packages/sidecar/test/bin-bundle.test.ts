/**
 * The bin's bundle (scripts/bundle.mjs, issue 13): dist/ as a few chunks in dist/bundle/. What must hold for it to
 * behave as dist/ does: the tracing files stay separate and are imported from where they are, every rewritten
 * `import.meta.url` names the dist/ file it came from, the only relative imports leaving dist/bundle/ are the
 * tracing file, and the bin runs the bundle (dist/ when DAPRKIT_SIDECAR_NO_BUNDLE=1).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureSidecarBuilt, PACKAGE_DIR } from './support.js';

const BUNDLE = join(PACKAGE_DIR, 'dist', 'bundle');

function chunks(): [string, string][] {
  return readdirSync(BUNDLE)
    .filter((f) => f.endsWith('.js'))
    .map((f) => [f, readFileSync(join(BUNDLE, f), 'utf8')]);
}

/** The dist/ modules the bin loads, from a module loader hook that prints every loaded file URL. */
function loadedModules(env: Record<string, string>): Promise<string[]> {
  const hooks = `export async function load(url, context, next) { if (url.startsWith('file:')) process.stderr.write('LOADED ' + url + '\\n'); return next(url, context); }`;
  const register = `import { register } from 'node:module'; register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}));`;
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [
        '--import',
        `data:text/javascript,${encodeURIComponent(register)}`,
        join(PACKAGE_DIR, 'bin', 'daprkit-sidecar.js'),
        '--build-info',
      ],
      { env: { ...process.env, ...env }, timeout: 30_000 },
      (error, _stdout, stderr) => {
        if (error) return fail(error);
        done([...stderr.matchAll(/^LOADED (\S+)$/gm)].map((m) => m[1]!));
      },
    );
  });
}

describe("the bin's bundle", () => {
  beforeAll(async () => {
    await ensureSidecarBuilt();
  });

  it('keeps otel-tracer.js and span-export-worker.js out and imports the tracer from dist/observability/', () => {
    const imports: string[] = [];
    for (const [name, code] of chunks()) {
      expect(code, name).not.toContain('// dist/observability/otel-tracer.js');
      expect(code, name).not.toContain('// dist/observability/span-export-worker.js');
      for (const [, path] of code.matchAll(/import\("(\.[^"]+)"\)/g)) imports.push(resolve(BUNDLE, path!));
      for (const [, path] of code.matchAll(/from "(\.[^"]+)"/g)) imports.push(resolve(BUNDLE, path!));
    }
    const outside = [...new Set(imports.filter((file) => !file.startsWith(`${BUNDLE}/`)))];
    expect(outside).toEqual([join(PACKAGE_DIR, 'dist', 'observability', 'otel-tracer.js')]);
    for (const file of imports) expect(existsSync(file), file).toBe(true);
  });

  it('rewrites import.meta.url to the URL of an existing dist/ file', () => {
    let rewritten = 0;
    for (const [name, code] of chunks()) {
      expect(code.replaceAll(/new URL\("[^"]+", import\.meta\.url\)/g, ''), name).not.toContain('import.meta.url');
      for (const [, path] of code.matchAll(/new URL\("([^"]+)", import\.meta\.url\)\.href/g)) {
        const file = resolve(BUNDLE, path!);
        expect(file.startsWith(`${join(PACKAGE_DIR, 'dist')}/`), path).toBe(true);
        expect(existsSync(file), path).toBe(true);
        rewritten++;
      }
    }
    expect(rewritten).toBeGreaterThan(0);
  });

  it('is what the bin runs, and DAPRKIT_SIDECAR_NO_BUNDLE=1 runs dist/', async () => {
    const distUrl = pathToFileURL(join(PACKAGE_DIR, 'dist')).href;
    const bundled = (await loadedModules({})).filter((url) => url.startsWith(`${distUrl}/`));
    expect(bundled.length).toBeGreaterThan(0);
    expect(bundled.every((url) => url.startsWith(`${distUrl}/bundle/`))).toBe(true);
    const plain = (await loadedModules({ DAPRKIT_SIDECAR_NO_BUNDLE: '1' })).filter((url) =>
      url.startsWith(`${distUrl}/`),
    );
    expect(plain).toContain(`${distUrl}/cli.js`);
    expect(plain.some((url) => url.startsWith(`${distUrl}/bundle/`))).toBe(false);
  });
});
