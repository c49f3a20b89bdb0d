// @daprkit/conformance/runner must load where vitest is absent: its import graph never reaches vitest.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('the runner entry (dist) imports no vitest module; the root entry does', () => {
  const hook = `data:text/javascript,${encodeURIComponent(
    "export async function resolve(s, c, next) { if (s === 'vitest' || s.startsWith('vitest/')) throw new Error('vitest imported: ' + s); return next(s, c); }",
  )}`;
  const load = (entry: string) =>
    spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { register } from 'node:module'; register(${JSON.stringify(hook)}); const m = await import(${JSON.stringify(entry)}); console.log(Object.keys(m).filter((k) => k.startsWith('run')).sort().join(','));`,
      ],
      { encoding: 'utf8' },
    );
  const runner = load(fileURLToPath(new URL('../dist/runner.js', import.meta.url)));
  expect(runner.stderr).toBe('');
  expect(runner.stdout.trim()).toBe(
    'runInputBindingConformance,runOutputBindingConformance,runPubSubConformance,runSecretStoreConformance,runStateConformance',
  );
  const root = load(fileURLToPath(new URL('../dist/index.js', import.meta.url)));
  expect(root.stderr).toContain('vitest imported');
});
