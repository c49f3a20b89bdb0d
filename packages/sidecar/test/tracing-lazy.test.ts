/**
 * The OpenTelemetry SDK loads only when an exporter is configured: a sidecar on the default path (propagation only)
 * runs in a child process whose module loader refuses every `@opentelemetry/*` import. The hooks are registered by
 * an `--import` module, so they apply to the span export thread too (a worker runs its parent's `--import`s).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureSidecarBuilt, PACKAGE_DIR } from './support.js';

const HOOKS = `export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@opentelemetry/')) throw new Error('refused import of ' + specifier);
  return next(specifier, context);
}`;

const REGISTER = `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOKS)}));`;

function script(configPaths: string[]): string {
  const entry = pathToFileURL(join(PACKAGE_DIR, 'dist', 'index.js')).href;
  return `
const { createSidecar } = await import(${JSON.stringify(entry)});
const sidecar = await createSidecar({ httpPort: 0, grpcPort: false, logLevel: 'error', configPaths: ${JSON.stringify(configPaths)} });
const response = await fetch('http://127.0.0.1:' + sidecar.httpPort + '/v1.0/metadata');
console.log('traceparent=' + response.headers.get('traceparent'));
await sidecar.close();
`;
}

function run(configPaths: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [
        '--import',
        `data:text/javascript,${encodeURIComponent(REGISTER)}`,
        '--input-type=module',
        '-e',
        script(configPaths),
      ],
      { timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

describe('lazy OpenTelemetry SDK', () => {
  beforeAll(async () => {
    await ensureSidecarBuilt();
  });

  it('is not imported without an exporter, while propagation works', async () => {
    const { code, output } = await run([]);
    expect(output).toMatch(/traceparent=00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]/);
    expect(code).toBe(0);
  });

  it('is imported once an exporter is configured (the refusing loader proves it)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dk-tracing-lazy-'));
    const file = join(dir, 'config.yaml');
    await writeFile(
      file,
      'apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: t\nspec:\n  tracing:\n    samplingRate: "1"\n    stdout: true\n',
    );
    const { code, output } = await run([file]);
    expect(code).not.toBe(0);
    expect(output).toContain('refused import of @opentelemetry/');
  });
});
