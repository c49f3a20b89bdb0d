/** The harness around the cases: backend policy, the vitest adapter end to end, records and `pnpm certify`. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ComponentDefinition } from '@daprkit/component-sdk';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildRecord,
  type CertificationRecord,
  describeStateConformance,
  runPubSubConformance,
  runSecretStoreConformance,
  runStateConformance,
} from '../src/index.js';
import { MapPubSub, pubsubDefinition } from './fixtures/map-pubsub.js';
import { EnvSecretStore, secretStoreDefinition } from './fixtures/simple-components.js';
import { expectCertified } from './helpers.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');
const vitestBin = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const scratch: string[] = [];
afterAll(() => Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true }))));

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'conformance-'));
  scratch.push(dir);
  return dir;
}

const unreachable = { name: 'fixture-db', probe: () => Promise.reject(new Error('connection refused')) };

describe('missing backend policy', () => {
  const definition = secretStoreDefinition(() => new EnvSecretStore());

  it('skips every case with the reason outside CI', async () => {
    const results = await withCi(undefined, () => runSecretStoreConformance({ definition, backend: unreachable }));
    expect(new Set(results.map((r) => r.status))).toEqual(new Set(['skipped']));
    expect(results[0]!.error).toBe('backend fixture-db unreachable: connection refused');
  });

  it('fails every case in CI', async () => {
    const results = await withCi('true', () => runSecretStoreConformance({ definition, backend: unreachable }));
    expect(new Set(results.map((r) => r.status))).toEqual(new Set(['failed']));
    expect(results).toHaveLength(2 * 6);
  });
});

describe('definition kind', () => {
  // Typed like a package's `definitions[0]!`: the general ComponentDefinition, whatever its kind.
  const pubsub: ComponentDefinition = pubsubDefinition(() => new MapPubSub());

  it("describe* throws before registering anything when the kind is not the suite's", () => {
    expect(() => describeStateConformance({ definition: pubsub })).toThrow(
      new TypeError(
        "describeStateConformance: definition 'conformance-map-pubsub' (@daprkit/conformance-fixtures) is a pubsub component, expected state",
      ),
    );
  });

  it("run* rejects when the kind is not the suite's", async () => {
    await expect(runStateConformance({ definition: pubsub })).rejects.toThrow(
      /^runStateConformance: definition 'conformance-map-pubsub' .* is a pubsub component, expected state$/,
    );
  });

  it('run* rejects something that is not a definition at all', async () => {
    // Untyped callers (plain JS, an empty `definitions` array) can pass anything.
    const missing = undefined as unknown as ComponentDefinition;
    await expect(runPubSubConformance({ definition: missing })).rejects.toThrow(
      'runPubSubConformance: options.definition must be a component definition (defineComponent), got undefined',
    );
  });

  it('accepts a general ComponentDefinition of the right kind', async () => {
    const secrets: ComponentDefinition = secretStoreDefinition(() => new EnvSecretStore());
    const results = await runSecretStoreConformance({ definition: secrets, modes: ['in-process'] });
    expectCertified(results, ['in-process']);
  });
});

async function withCi<T>(value: string | undefined, action: () => Promise<T>): Promise<T> {
  const saved = process.env.CI;
  if (value === undefined) delete process.env.CI;
  else process.env.CI = value;
  try {
    return await action();
  } finally {
    if (saved === undefined) delete process.env.CI;
    else process.env.CI = saved;
  }
}

interface VitestJson {
  testResults: { assertionResults: { title: string; status: string; ancestorTitles: string[] }[] }[];
}

/** Runs the adapter fixture in its own vitest process, as a package's test file would run. */
async function runAdapterFixture(env: Record<string, string | undefined>) {
  const fixture = join(here, 'fixtures', 'adapter');
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete childEnv[key];
  delete childEnv.VITEST;
  delete childEnv.VITEST_WORKER_ID;
  delete childEnv.VITEST_POOL_ID;
  const report = join(await tempDir(), 'report.json');
  const args = [vitestBin, 'run', '--root', fixture, '--config', join(fixture, 'vitest.config.ts')];
  args.push('--reporter=default', '--reporter=json', `--outputFile.json=${report}`);
  const outcome = await run(process.execPath, args, { env: childEnv, cwd: fixture, maxBuffer: 1 << 24 }).then(
    (r) => ({ code: 0, output: r.stdout + r.stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, output: err.stdout + err.stderr }),
  );
  const json = JSON.parse(await readFile(report, 'utf8')) as VitestJson;
  return { ...outcome, tests: json.testResults.flatMap((t) => t.assertionResults) };
}

describe('the vitest adapter', () => {
  it('registers one describe per mode and one it per case, and writes the record', async () => {
    const dir = await tempDir();
    const { code, tests } = await runAdapterFixture({ CONFORMANCE_PACKAGE_DIR: dir, CI: undefined });
    expect(code).toBe(0);
    expect(tests.map((t) => [t.ancestorTitles.at(-1), t.title.split(' ')[0], t.status])).toEqual(
      ['in-process', 'socket'].flatMap((mode) => [
        [mode, 'X-INIT', 'passed'],
        [mode, 'X-PING', 'passed'],
        [mode, 'X-GET', 'passed'],
        [mode, 'X-BULK', 'passed'],
        [mode, 'X-X-MISSING', 'passed'],
        [mode, 'X-X-CLOSE', mode === 'socket' ? 'skipped' : 'passed'],
      ]),
    );
    const record = JSON.parse(
      await readFile(join(dir, 'certification', 'secretStore.json'), 'utf8'),
    ) as CertificationRecord;
    expect(record).toMatchObject({ package: '@daprkit/conformance-fixtures', componentKind: 'secretStore' });
    expect(record.modes['in-process']?.certified).toBe(true);
    expect(record.modes.socket?.counts).toMatchObject({ passed: 5, 'not-on-wire': 1 });
    expect(await readFile(join(dir, 'certification', 'secretStore.md'), 'utf8')).toContain('## socket: certified');
  }, 60_000);

  it('skips visibly (reason in the title) without a backend outside CI, and leaves the record alone', async () => {
    const dir = await tempDir();
    const { code, tests, output } = await runAdapterFixture({
      CONFORMANCE_PACKAGE_DIR: dir,
      FIXTURE_BACKEND: 'down',
      CI: undefined,
    });
    expect(code).toBe(0);
    expect(tests.every((t) => t.status === 'skipped' && t.title.includes('backend fixture-db unreachable'))).toBe(true);
    expect(output).toContain('backend fixture-db unreachable: connection refused — cases skipped');
    expect(existsSync(join(dir, 'certification'))).toBe(false);
  }, 60_000);

  it('fails every case without a backend in CI, and records the failure', async () => {
    const dir = await tempDir();
    const { code, tests } = await runAdapterFixture({
      CONFORMANCE_PACKAGE_DIR: dir,
      FIXTURE_BACKEND: 'down',
      CI: 'true',
    });
    expect(code).not.toBe(0);
    expect(tests.every((t) => t.status === 'failed')).toBe(true);
    const record = JSON.parse(
      await readFile(join(dir, 'certification', 'secretStore.json'), 'utf8'),
    ) as CertificationRecord;
    expect(record.modes['in-process']?.certified).toBe(false);
  }, 60_000);
});

describe('pnpm certify', () => {
  const certify = (root: string, ...args: string[]) =>
    run(process.execPath, [join(repoRoot, 'scripts', 'certify.mjs'), '--root', root, ...args]).then(
      () => 0,
      (err: { code: number }) => err.code,
    );

  async function tree(): Promise<string> {
    const root = await tempDir();
    const definition = secretStoreDefinition(() => new EnvSecretStore());
    const results = await runSecretStoreConformance({ definition });
    for (const [pkg, when] of [
      ['secrets-b', '2026-01-01T00:00:00Z'],
      ['secrets-a', '2026-02-02T00:00:00Z'],
    ] as const) {
      await mkdir(join(root, 'packages', pkg, 'certification'), { recursive: true });
      const record = { ...buildRecord(definition, [], results, new Date(when)), package: `@x/${pkg}` };
      await writeFile(join(root, 'packages', pkg, 'certification', 'secretStore.json'), JSON.stringify(record));
    }
    return root;
  }

  it('builds a sorted, date-free matrix and --check detects drift', async () => {
    const root = await tree();
    expect(await certify(root, '--check')).toBe(1);
    expect(await certify(root)).toBe(0);
    const matrix = await readFile(join(root, 'CERTIFICATION.md'), 'utf8');
    expect(matrix).toContain(
      '| @x/secrets-a@0.0.0 | secretStore | `secretstores.conformance-env-secrets` | ✅ certified (6 passed) | ✅ certified (5 passed) | – |',
    );
    expect(matrix.indexOf('@x/secrets-a')).toBeLessThan(matrix.indexOf('@x/secrets-b'));
    expect(matrix).not.toMatch(/2026|durationMs/);
    expect(await certify(root, '--check')).toBe(0);

    // A new run with a different date and timings changes nothing; a failed case does.
    const file = join(root, 'packages', 'secrets-a', 'certification', 'secretStore.json');
    const record = JSON.parse(await readFile(file, 'utf8')) as CertificationRecord;
    record.generatedAt = '2027-01-01T00:00:00Z';
    for (const c of record.modes.socket!.cases) c.durationMs += 7;
    await writeFile(file, JSON.stringify(record));
    expect(await certify(root, '--check')).toBe(0);
    Object.assign(record.modes.socket!.cases[2]!, { status: 'failed', error: 'boom' });
    await writeFile(file, JSON.stringify(record));
    expect(await certify(root, '--check')).toBe(1);
    expect(await certify(root)).toBe(0);
    const updated = await readFile(join(root, 'CERTIFICATION.md'), 'utf8');
    expect(updated).toContain('| ✅ certified (6 passed) | ❌ 1 failed (4 passed) |');
    expect(updated).toContain('socket `X-GET` failed: boom');
  }, 30_000);
});
