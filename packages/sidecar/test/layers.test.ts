// The sidecar's layer rule (docs: /work/shared/style/sidecar-layout.md): every import in src/ points to the same
// layer or a lower one, never up and never sideways to a peer. Scans the import statements of every source file.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/**
 * Layer ranks, lowest first. A folder (or root file) may import only from a strictly lower rank or from itself;
 * layers of equal rank (http, grpc, outbox) are peers and never import each other. A new folder must be added here.
 */
const RANK: Record<string, number> = {
  shared: 0, // ground floor: imports nothing local
  'version.ts': 0,
  resources: 1,
  nameresolution: 1.5, // finds other sidecars; imports shared only
  composition: 2,
  resiliency: 2.5, // policies over the component table; app/ runs deliveries through them
  observability: 2.5, // trace context, spans, metrics, API logging: read the component table; used by app/, http/, grpc/
  app: 3,
  api: 4,
  invoke: 4,
  'runtime.ts': 5,
  http: 6,
  grpc: 6,
  outbox: 6,
  'sidecar.ts': 7,
  cli: 7, // flag table and parsing helpers behind cli.ts (imports nothing local)
  'cli.ts': 8,
  'index.ts': 9,
};

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const layerOf = (file: string) => relative(SRC, file).split('/')[0]!;

/** Static imports/re-exports and dynamic `import()` with a relative specifier. */
function importsOf(file: string, text = readFileSync(file, 'utf8')): Import[] {
  const found: Import[] = [];
  const pattern = /(?:^|\n)\s*(import|export)(\s+type)?\b[^'";]*?\bfrom\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g;
  for (const match of text.matchAll(pattern)) {
    const specifier = match[3] ?? match[4]!;
    const target = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
    found.push({ from: file, to: target, typeOnly: match[2] !== undefined });
  }
  return found;
}

const files = sourceFiles(SRC);
const imports = files.flatMap((file) => importsOf(file));
const rel = (path: string) => relative(SRC, path);

function violations(list: readonly Import[]): string[] {
  return list
    .filter((i) => {
      const from = layerOf(i.from);
      const to = layerOf(i.to);
      return from !== to && RANK[to]! >= RANK[from]!;
    })
    .map((i) => `${rel(i.from)} -> ${rel(i.to)}`);
}

describe('sidecar layers', () => {
  it('scans the real tree (every file is in a known layer, every import resolves)', () => {
    expect(files.length).toBeGreaterThan(40);
    expect(imports.length).toBeGreaterThan(100);
    for (const file of files) expect(RANK[layerOf(file)], `layer of ${rel(file)}`).toBeDefined();
    const known = new Set(files);
    for (const i of imports) expect(known.has(i.to), `${rel(i.from)} imports ${rel(i.to)}`).toBe(true);
  });

  it('never imports upward or sideways (type-only imports included)', () => {
    expect(violations(imports)).toEqual([]);
  });

  it('keeps shared/ on the ground floor, api/ free of the outbox and composition/ free of the APIs', () => {
    const reaches = (from: string, to: string) =>
      imports.filter((i) => layerOf(i.from) === from && layerOf(i.to) === to).map((i) => rel(i.from));
    expect(imports.filter((i) => layerOf(i.from) === 'shared' && layerOf(i.to) !== 'shared')).toEqual([]);
    expect(reaches('api', 'outbox')).toEqual([]);
    expect(reaches('composition', 'api')).toEqual([]);
  });

  it('wires the test-only crash injection from sidecar.ts alone', () => {
    const crashPoints = join(SRC, 'outbox', 'crash-points.ts');
    const users = imports.filter((i) => i.to === crashPoints && !i.typeOnly).map((i) => rel(i.from));
    expect(users).toEqual(['sidecar.ts']);
  });

  it('detects upward, sideways and dynamic imports (the scanner is not blind)', () => {
    const probe = importsOf(
      join(SRC, 'http', 'probe.ts'),
      [
        "import { outboxTransactionHook } from '../outbox/write.js';",
        "import type {\n  HandlerGroup,\n} from '../grpc/wire.js';",
        "export { createSidecar } from '../sidecar.js';",
        "const m = await import('../cli.js');",
        "import { apiError } from '../shared/errors.js';",
      ].join('\n'),
    );
    expect(violations(probe)).toEqual([
      'http/probe.ts -> outbox/write.ts',
      'http/probe.ts -> grpc/wire.ts',
      'http/probe.ts -> sidecar.ts',
      'http/probe.ts -> cli.ts',
    ]);
  });
});
