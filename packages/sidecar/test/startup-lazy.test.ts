/**
 * Start-up loads only what the configuration uses (issue 13): the CLI on its embedded defaults, in a child process
 * whose module loaders (ESM resolve hook and CJS resolution) refuse the YAML parser, undici, grpc-js and the
 * OpenTelemetry SDK and exporters, and log every load of prom-client. The sidecar must start, serve both APIs and its
 * metrics; prom-client loads on the first scrape, not before.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@daprkit/component-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSidecarBuilt, PACKAGE_DIR, waitFor } from './support.js';

/** Refused: these names and anything under them (`name/…`); a trailing `-` refuses a family (`@x/sdk-…`). */
const REFUSED = ['yaml', 'undici', '@grpc/grpc-js', '@opentelemetry/sdk-', '@opentelemetry/exporter-'];
/** prom-client (which loads @opentelemetry/api for exemplars) may load, but only on the first scrape. */
const WATCHED = 'prom-client';

const matches = `(s) => ${JSON.stringify(REFUSED)}.some((r) => s === r || s.startsWith(r.endsWith('-') ? r : r + '/'))`;
const ESM_HOOKS = `const refused = ${matches};
export async function resolve(specifier, context, next) {
  if (refused(specifier)) throw new Error('refused import of ' + specifier);
  if (specifier === '${WATCHED}') process.stderr.write('loaded ${WATCHED}\\n');
  return next(specifier, context);
}`;
const PRELOAD = `const Module = require('node:module');
const { register } = Module;
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(ESM_HOOKS)}));
const refused = ${matches};
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (refused(request)) throw new Error('refused require of ' + request);
  if (request === '${WATCHED}') process.stderr.write('loaded ${WATCHED}\\n');
  return resolve.call(this, request, ...rest);
};`;

describe('start-up on the embedded defaults', () => {
  let child: ChildProcess;
  let output = '';
  const ports = { http: 0, grpc: 0, metrics: 0 };

  beforeAll(async () => {
    await ensureSidecarBuilt();
    const dir = await mkdtemp(join(tmpdir(), 'dk-startup-lazy-'));
    const preload = join(dir, 'preload.cjs');
    await writeFile(preload, PRELOAD);
    ports.http = await freePort();
    ports.grpc = await freePort();
    ports.metrics = await freePort();
    child = spawn(
      process.execPath,
      [
        '--require',
        preload,
        join(PACKAGE_DIR, 'bin', 'daprkit-sidecar.js'),
        '--app-id',
        'lazy-start',
        '--dapr-http-port',
        String(ports.http),
        '--dapr-grpc-port',
        String(ports.grpc),
        '--metrics-port',
        String(ports.metrics),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    await waitFor(
      () =>
        fetch(`http://127.0.0.1:${ports.http}/v1.0/healthz`).then(
          (r) => r.status === 204,
          () => false,
        ),
      20_000,
      'the sidecar healthy',
    ).catch((error: Error) => {
      throw new Error(`${error.message}; its output:\n${output}`);
    });
  });

  afterAll(() => {
    child?.kill('SIGTERM');
  });

  it('starts without the YAML parser, undici, grpc-js or the OpenTelemetry SDK, and without prom-client until scraped', async () => {
    const saved = await fetch(`http://127.0.0.1:${ports.http}/v1.0/state/statestore`, {
      method: 'POST',
      body: JSON.stringify([{ key: 'k', value: 1 }]),
      headers: { 'content-type': 'application/json' },
    });
    expect(saved.status).toBe(204);
    expect(output).not.toMatch(/refused/);
    expect(output).not.toContain(`loaded ${WATCHED}`);
    const scraped = await fetch(`http://127.0.0.1:${ports.metrics}/metrics`);
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await scraped.text();
    expect(text).toContain('dapr_runtime_component_loaded{app_id="lazy-start"} 2');
    expect(text).toMatch(/dapr_http_server_request_count\{[^}]*method="POST"[^}]*\} 1/);
    // The loader hooks write from their own thread: the line may reach us after the scrape's answer.
    await waitFor(() => (output.includes(`loaded ${WATCHED}`) ? true : undefined), 5000, `"loaded ${WATCHED}"`);
    expect(output).not.toMatch(/refused/);
  });
});
