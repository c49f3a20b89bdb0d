// Regression tests for issue 21: bounded extended metadata (item 2), numeric options validated (item 4), empty
// transaction keys refused (item 8), constant-time token check that still refuses wrong tokens (item 6).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAPR_API_VERSION } from '../src/version.js';
import { ensureSidecarBuilt, http, type SidecarProcess, startSidecarProcess, stopAllProcesses } from './support.js';

let sidecar: SidecarProcess;
let guarded: SidecarProcess;

beforeAll(async () => {
  await ensureSidecarBuilt();
  sidecar = await startSidecarProcess(['--app-id', 'reliability-app']);
  guarded = await startSidecarProcess(['--app-id', 'guarded-app'], { DAPR_API_TOKEN: 'right-token' });
});

afterAll(() => stopAllProcesses());

const expectMalformed = (response: { status: number; json: Record<string, unknown> }, message: RegExp) => {
  expect(response.status).toBe(400);
  expect(response.json.errorCode).toBe('ERR_MALFORMED_REQUEST');
  expect(String(response.json.message)).toMatch(message);
};

describe('extended metadata is bounded', () => {
  it('refuses an oversized value or key with 400 and keeps serving GET /v1.0/metadata', async () => {
    expectMalformed(
      await http(sidecar.httpPort, 'PUT', '/v1.0/metadata/big', 'x'.repeat(64 * 1024 + 1)),
      /larger than 65536 bytes/,
    );
    expectMalformed(
      await http(sidecar.httpPort, 'PUT', `/v1.0/metadata/${'k'.repeat(257)}`, 'v'),
      /longer than 256 bytes/,
    );
    expect((await http(sidecar.httpPort, 'PUT', '/v1.0/metadata/ok', 'v'.repeat(64 * 1024))).status).toBe(204);
    const doc = await http(sidecar.httpPort, 'GET', '/v1.0/metadata');
    expect(doc.status).toBe(200);
    expect((doc.json.extended as Record<string, string>).ok).toHaveLength(64 * 1024);
  });

  it('refuses the 101st entry, still overwrites a known one, and never lets a PUT replace daprRuntimeVersion', async () => {
    for (let i = 0; i < 100; i++) {
      const put = await http(sidecar.httpPort, 'PUT', `/v1.0/metadata/n${i}`, String(i));
      if (put.status !== 204) expectMalformed(put, /at most 100 extended metadata entries/);
    }
    expectMalformed(await http(sidecar.httpPort, 'PUT', '/v1.0/metadata/one-more', 'x'), /at most 100/);
    expect((await http(sidecar.httpPort, 'PUT', '/v1.0/metadata/ok', 'again')).status).toBe(204);
    await http(sidecar.httpPort, 'PUT', '/v1.0/metadata/daprRuntimeVersion', 'forged');
    const extended = (await http(sidecar.httpPort, 'GET', '/v1.0/metadata')).json.extended as Record<string, string>;
    expect(extended.daprRuntimeVersion).toBe(DAPR_API_VERSION);
    expect(extended.ok).toBe('again');
  });
});

describe('bad input gets a 400, not a 200 with invalid JSON or a stored bad key', () => {
  it('bulk get: parallelism must be a whole number', async () => {
    for (const parallelism of [0.5, -1, '"2"']) {
      const response = await http(
        sidecar.httpPort,
        'POST',
        '/v1.0/state/statestore/bulk',
        `{"keys":["a","b"],"parallelism":${parallelism}}`,
      );
      expectMalformed(response, /parallelism/);
    }
    const ok = await http(sidecar.httpPort, 'POST', '/v1.0/state/statestore/bulk', '{"keys":["a"],"parallelism":2}');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text)).toEqual([{ key: 'a' }]);
  });

  it('transactions: an upsert or delete with an empty key is refused like a plain save', async () => {
    for (const operation of ['upsert', 'delete']) {
      const response = await http(
        sidecar.httpPort,
        'POST',
        '/v1.0/state/statestore/transaction',
        `{"operations":[{"operation":"${operation}","request":{"key":"","value":1}}]}`,
      );
      expectMalformed(response, /"key" is a required field/);
    }
  });
});

describe('API token', () => {
  it('refuses a missing or wrong token (also one of the right length) and accepts the right one', async () => {
    const path = '/v1.0/state/statestore/k';
    expect((await http(guarded.httpPort, 'GET', path)).status).toBe(401);
    expect((await http(guarded.httpPort, 'GET', path, undefined, { 'dapr-api-token': 'wrong-token' })).status).toBe(
      401,
    );
    expect((await http(guarded.httpPort, 'GET', path, undefined, { 'dapr-api-token': 'right-tokeN' })).status).toBe(
      401,
    );
    expect((await http(guarded.httpPort, 'GET', path, undefined, { 'dapr-api-token': 'right-token' })).status).toBe(
      204,
    );
  });
});
