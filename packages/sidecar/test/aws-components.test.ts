/**
 * The AWS packages loaded in process by the sidecar's registry from their Dapr types (`state.aws.dynamodb`,
 * `secretstores.aws.secretmanager`, `bindings.aws.s3`), on the local AWS-compatible server (moto): a state save/get
 * with an ETag, a secret read and an S3 create/get through the Dapr HTTP API. Without moto: skipped locally with
 * the reason, a failure with CI=true.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { awsTestProperties, createDescribeWithAws } from '../../aws-common/src/testing/index.js';
import { createBucket } from '../../bindings-aws-s3/test/support/s3.js';
import { adminClient, putSecret } from '../../secretstores-aws-secretmanager/test/support/secrets.js';
import { createTable, rawClient } from '../../state-aws-dynamodb/test/support/dynamodb.js';
import { ensureSidecarBuilt, http, type SidecarProcess, startSidecarProcess, stopAllProcesses } from './support.js';

const describeWithAws = await createDescribeWithAws();
const run = randomUUID().slice(0, 8);

function component(name: string, type: string, extra: Record<string, string>): string {
  const items = Object.entries(awsTestProperties(extra))
    .map(([k, v]) => `    - name: ${k}\n      value: "${v}"`)
    .join('\n');
  return `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${name}\nspec:\n  type: ${type}\n  version: v1\n  metadata:\n${items}\n`;
}

describeWithAws('the sidecar with the AWS packages in process', () => {
  let sidecar: SidecarProcess;
  const table = `sidecar-aws-${run}`;
  const bucket = `sidecar-aws-${run}`;
  const secret = `sidecar-aws-${run}`;

  beforeAll(async () => {
    await ensureSidecarBuilt([
      'packages/state-aws-dynamodb',
      'packages/secretstores-aws-secretmanager',
      'packages/bindings-aws-s3',
    ]);
    const dynamo = rawClient();
    await createTable(dynamo, table);
    dynamo.destroy();
    await createBucket(bucket);
    const sm = adminClient();
    await putSecret(sm, secret, 's3cr3t');
    sm.destroy();
    const dir = await mkdtemp(join(tmpdir(), 'dk-sidecar-aws-'));
    await writeFile(
      join(dir, 'components.yaml'),
      [
        component('store', 'state.aws.dynamodb', { table }),
        component('secrets', 'secretstores.aws.secretmanager', {}),
        component('files', 'bindings.aws.s3', { bucket, forcePathStyle: 'true' }),
      ].join('---\n'),
    );
    sidecar = await startSidecarProcess(['--app-id', `sidecar-aws-${run}`, '--resources-path', dir]);
  }, 120_000);

  afterAll(() => stopAllProcesses());

  it('saves and reads state with an ETag; a stale ETag is a 409', async () => {
    const save = await http(
      sidecar.httpPort,
      'POST',
      '/v1.0/state/store',
      JSON.stringify([{ key: 'k', value: { n: 1 } }]),
    );
    expect(save.status).toBe(204);
    const read = await http(sidecar.httpPort, 'GET', '/v1.0/state/store/k');
    expect(read.json).toEqual({ n: 1 });
    expect(read.headers.get('etag')).toMatch(/^[0-9a-f]{1,16}$/);
    const stale = await http(
      sidecar.httpPort,
      'POST',
      '/v1.0/state/store',
      JSON.stringify([{ key: 'k', value: { n: 2 }, etag: 'ffff' }]),
    );
    expect(stale.status).toBe(409);
  });

  it('reads a secret and round-trips an S3 object', async () => {
    expect((await http(sidecar.httpPort, 'GET', `/v1.0/secrets/secrets/${secret}`)).json).toEqual({
      [secret]: 's3cr3t',
    });
    const created = await http(
      sidecar.httpPort,
      'POST',
      '/v1.0/bindings/files',
      JSON.stringify({ operation: 'create', data: 'via the sidecar', metadata: { key: 'a.txt' } }),
    );
    expect(created.status).toBe(200);
    const got = await http(
      sidecar.httpPort,
      'POST',
      '/v1.0/bindings/files',
      JSON.stringify({ operation: 'get', metadata: { key: 'a.txt' } }),
    );
    expect(got.text).toBe('via the sidecar');
  });
});
