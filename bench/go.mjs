// The Go daprd-like load client (bench/go-client): built once into bench/go-client/bin/ when Go is on PATH,
// then run as its own process against a plugin socket. Without Go, suites print that the Go column is skipped.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fullGc, settings } from './harness.mjs';

const builds = new Map();

/**
 * Builds the Go module `bench/<name>/` into `bench/<name>/bin/<name>` when Go is on PATH and the binary is older
 * than its sources. Resolves to `{ path }` or `{ skip: reason }` (printed once by the caller).
 */
export function goBinary(name) {
  if (!builds.has(name)) builds.set(name, build(name));
  return builds.get(name);
}

/** The Go daprd-like client (`bench/go-client`). */
export function goClient() {
  return goBinary('go-client');
}

async function build(name) {
  const dir = fileURLToPath(new URL(`./${name}/`, import.meta.url));
  const binary = join(dir, 'bin', name);
  const sources = ['main.go', 'go.mod', 'go.sum'].map((f) => join(dir, f));
  const version = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) {
    return { skip: `Go toolchain not found on PATH: the bench/${name} column is skipped` };
  }
  const binTime = existsSync(binary) ? statSync(binary).mtimeMs : 0;
  if (binTime > 0 && sources.every((f) => !existsSync(f) || statSync(f).mtimeMs <= binTime)) return { path: binary };
  process.stdout.write(`building bench/${name} with ${version.stdout.trim()} (the first build downloads modules)... `);
  const started = Date.now();
  const result = await run('go', ['build', '-o', binary, '.'], { cwd: dir });
  if (result.code !== 0) {
    console.log('failed');
    return { skip: `go build of bench/${name} failed: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}` };
  }
  console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { path: binary };
}

function run(command, args, options) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (err) => resolve({ code: -1, stdout, stderr: String(err) }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Runs the Go client once: Init (+ Features) with `props`, then `op` ('get' | 'set' | 'publish') with
 * `concurrency` goroutines for the harness's duration after its warm-up. Resolves to
 * `{ opsPerSec, p50us, p99us, ops, errors }`; rejects when the client fails or every call failed.
 */
export async function runGoClient(path, { socket, op, instance = 'bench', props = {}, valueBytes = 64, extra = [] }) {
  const args = [
    '-socket',
    socket,
    '-instance',
    instance,
    '-op',
    op,
    '-concurrency',
    String(settings.concurrency),
    '-duration',
    `${settings.durationMs}ms`,
    '-warmup',
    `${settings.warmupMs}ms`,
    '-value-bytes',
    String(valueBytes),
    '-props',
    Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    ...extra,
  ];
  fullGc();
  const result = await run(path, args, {});
  const line = result.stdout.trim().split('\n').pop() ?? '';
  if (result.code !== 0 || !line.startsWith('{')) {
    throw new Error(`go-client ${op} exited ${result.code}: ${(result.stderr || line).trim()}`);
  }
  const parsed = JSON.parse(line);
  if (parsed.errors > 0) {
    console.log(
      `  note: go-client ${op}: ${parsed.errors} of ${parsed.ops} calls failed (first: ${parsed.firstError})`,
    );
  }
  return parsed;
}
