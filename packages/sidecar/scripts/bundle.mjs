// The bin's bundle (issue 13, start-up): dist/bundle/, built from tsc's dist/ by rolldown after `tsc -b` (the root
// `pnpm build` runs it). Node 20's ES-module loader pays per module (resolve, stat, read, compile, link): the ~100
// modules of the sidecar's own dist/ cost ~70 ms of CPU at start, as a handful of chunks much less.
//
// What stays outside, imported as before:
// - every package (`@daprkit/*`, npm dependencies) and builtin: component packages import the same
//   `@daprkit/component-sdk` the sidecar does (one copy), and a project's own installed versions keep winning;
// - dist/observability/otel-tracer.js and span-export-worker.js, loaded only when tracing has an exporter (the
//   worker is started from `new URL('./span-export-worker.js', import.meta.url)` in otel-tracer.js).
// Dynamic imports (the gRPC API server, …) become chunks of their own, loaded when they were loaded before.
// `import.meta.url` in a bundled module is rewritten to the URL of its dist/ file, so the files it locates
// (proto/runtime.json, package.json, `createRequire` resolution) are the same ones.
//
// bin/daprkit-sidecar.js uses the bundle when it is at least as new as the last `tsc -b` of this package
// (tsconfig.tsbuildinfo), else dist/cli.js, so a `tsc -b` without this step never runs stale code.
import { rmSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = resolve(pkg, 'dist');
const outDir = resolve(dist, 'bundle');
/** Separate files on purpose (see above). */
const SEPARATE = new Set(
  ['observability/otel-tracer.js', 'observability/span-export-worker.js'].map((f) => resolve(dist, f)),
);

const posix = (path) => path.split(sep).join('/');
const relativeToBundle = (file) => {
  const rel = posix(relative(outDir, file));
  return rel.startsWith('.') ? rel : `./${rel}`;
};

export async function bundleSidecar() {
  rmSync(outDir, { recursive: true, force: true });
  const build = await rolldown({
    input: { cli: resolve(dist, 'cli.js') },
    cwd: pkg,
    platform: 'node',
    // Bare specifiers (packages, `node:` builtins) stay imports; only the sidecar's own relative modules are bundled.
    external: (id) => !id.startsWith('.') && !id.startsWith('/'),
    plugins: [
      {
        name: 'daprkit-sidecar-layout',
        resolveId(source, importer) {
          if (importer === undefined || !source.startsWith('.')) return null;
          const file = resolve(dirname(importer), source);
          return SEPARATE.has(file) ? { id: relativeToBundle(file), external: true } : null;
        },
        transform(code, id) {
          if (!id.startsWith(dist + sep) || !code.includes('import.meta.url')) return null;
          const url = `new URL(${JSON.stringify(relativeToBundle(id))}, import.meta.url).href`;
          return { code: code.replaceAll('import.meta.url', url), map: null };
        },
      },
    ],
  });
  const { output } = await build.write({
    dir: outDir,
    format: 'esm',
    entryFileNames: '[name].js',
    chunkFileNames: '[name]-[hash].js',
    keepNames: true,
  });
  await build.close();
  const escaped = output.filter((o) => o.type === 'chunk' && o.moduleIds.some((m) => SEPARATE.has(m)));
  if (escaped.length > 0) throw new Error(`bundle: ${escaped.map((o) => o.fileName)} took in a tracing file`);
  return output.map((o) => o.fileName);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = await bundleSidecar();
  process.stdout.write(`@daprkit/sidecar: bundled dist/ into dist/bundle/ (${files.join(', ')})\n`);
}
