/**
 * The AWS packages as plugins next to a real daprd 1.16, on the local AWS-compatible server (moto): DynamoDB state
 * (and daprd's own built-in state.aws.dynamodb on the same table: each reads what the other wrote, ETags included),
 * Secrets Manager, the S3 binding (through the HTTP API, so create data arrives re-encoded and is unquoted) and
 * SNS/SQS pub/sub delivering to an app. No moto or no daprd: skipped with the reason locally, a failure with CI=true.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsTestClientConfig, awsTestProperties, awsUnreachable } from '@daprkit/aws-common/testing';
import { type PluginProcess, startPluginProcess } from '@daprkit/component-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { componentYaml, type Daprd, daprdMissing, REPO_ROOT, startDaprd, startRecordingApp } from './daprd-support.js';

const PACKAGES = ['state-aws-dynamodb', 'secretstores-aws-secretmanager', 'bindings-aws-s3', 'pubsub-aws-snssqs'];
const awsMissing = await awsUnreachable();
if (awsMissing !== undefined && process.env.CI === 'true') throw new Error(`${awsMissing}; CI must provide it`);
const skipReason = daprdMissing(PACKAGES) ?? awsMissing;
const suite = skipReason === undefined ? describe : describe.skip;

const run = randomUUID().slice(0, 8);
const appId = `daprd-aws-${run}`;
const table = `daprd-aws-${run}`;
const bucket = `daprd-aws-${run}`;
const secret = `daprd-aws-${run}`;
const topic = `orders.${run}`;
let daprd: Daprd;
let app: Awaited<ReturnType<typeof startRecordingApp>>;
const plugins: PluginProcess[] = [];

suite(`daprd with the AWS packages as plugins${skipReason ? ` (SKIPPED: ${skipReason})` : ''}`, () => {
  const dynamo = new DynamoDBClient(awsTestClientConfig());

  beforeAll(async () => {
    await dynamo.send(
      new CreateTableCommand({
        TableName: table,
        AttributeDefinitions: [{ AttributeName: 'key', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'key', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const s3 = new S3Client({ ...awsTestClientConfig(), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    s3.destroy();
    const sm = new SecretsManagerClient(awsTestClientConfig());
    await sm.send(new CreateSecretCommand({ Name: secret, SecretString: 'hunter2' }));
    sm.destroy();

    const sockets = await mkdtemp('/tmp/dk-daprd-aws-');
    const bin = (pkg: string) => join(REPO_ROOT, 'packages', pkg, 'bin', `daprkit-${pkg}.js`);
    plugins.push(
      ...(await Promise.all([
        startPluginProcess(bin('state-aws-dynamodb'), join(sockets, 'dk-dynamodb.sock')),
        startPluginProcess(bin('secretstores-aws-secretmanager'), join(sockets, 'dk-secrets.sock')),
        startPluginProcess(bin('bindings-aws-s3'), join(sockets, 'dk-s3.sock')),
        startPluginProcess(bin('pubsub-aws-snssqs'), join(sockets, 'dk-snssqs.sock')),
      ])),
    );
    app = await startRecordingApp([{ pubsubname: 'pubsub-dk', topic, route: '/orders' }]);
    const aws = awsTestProperties();
    const resources = await mkdtemp('/tmp/dk-daprd-aws-res-');
    await writeFile(
      join(resources, 'components.yaml'),
      [
        componentYaml('store-dk', 'state.dk-dynamodb', { ...aws, table, ttlAttributeName: 'expiresAt' }),
        componentYaml('store-builtin', 'state.aws.dynamodb', { ...aws, table, ttlAttributeName: 'expiresAt' }),
        componentYaml('secrets-dk', 'secretstores.dk-secrets', aws),
        componentYaml('s3-dk', 'bindings.dk-s3', { ...aws, bucket, forcePathStyle: 'true' }),
        componentYaml('pubsub-dk', 'pubsub.dk-snssqs', {
          ...aws,
          consumerID: `daprd-aws-${run}`,
          messageVisibilityTimeout: '1',
          messageWaitTimeSeconds: '1',
        }),
      ].join('---\n'),
    );
    daprd = await startDaprd({ appId, appPort: app.port, resourcesPath: resources, socketsFolder: sockets });
  }, 120_000);

  afterAll(async () => {
    await daprd?.stop();
    await Promise.all(plugins.map((p) => p.kill()));
    await app?.close();
    dynamo.destroy();
  });

  it('state: save, ETag read, stale ETag 409, transaction, bulk get, delete through our plugin', async () => {
    const base = '/v1.0/state/store-dk';
    expect((await daprd.api('POST', base, [{ key: 'order', value: { id: 1 } }])).status).toBe(204);
    const read = await daprd.api('GET', `${base}/order`);
    expect(read.json).toEqual({ id: 1 });
    const etag = read.headers.get('etag')!;
    expect(etag).toMatch(/^[0-9a-f]{1,16}$/);
    const stale = await daprd.api('POST', base, [{ key: 'order', value: { id: 2 }, etag: 'ffff' }]);
    expect(stale.status).toBe(409);
    const tx = await daprd.api('POST', `${base}/transaction`, {
      operations: [
        { operation: 'upsert', request: { key: 'tx-a', value: 'a' } },
        { operation: 'upsert', request: { key: 'order', value: { id: 3 }, etag } },
      ],
    });
    expect(tx.status).toBe(204);
    const bulk = await daprd.api('POST', `${base}/bulk`, { keys: ['order', 'tx-a', 'missing'] });
    const byKey = Object.fromEntries(
      (bulk.json as unknown as { key: string; data?: unknown }[]).map((i) => [i.key, i.data]),
    );
    expect(byKey).toEqual({ order: { id: 3 }, 'tx-a': 'a', missing: undefined });
    expect((await daprd.api('DELETE', `${base}/tx-a`)).status).toBe(204);
    expect((await daprd.api('GET', `${base}/tx-a`)).status).toBe(204);
    // contrib's layout on the table: key = "<appId>||order", value as JSON text, etag attribute.
    const item = await dynamo.send(new GetItemCommand({ TableName: table, Key: { key: { S: `${appId}||order` } } }));
    expect(item.Item?.value?.S).toBe('{"id":3}');
    expect(item.Item?.etag?.S).toMatch(/^[0-9a-f]{1,16}$/);
  });

  it("daprd's built-in state.aws.dynamodb and our plugin read each other's items, ETags included", async () => {
    expect(
      (await daprd.api('POST', '/v1.0/state/store-dk', [{ key: 'shared', value: { by: 'daprkit' } }])).status,
    ).toBe(204);
    const builtinRead = await daprd.api('GET', '/v1.0/state/store-builtin/shared');
    expect(builtinRead.json).toEqual({ by: 'daprkit' });
    const etag = builtinRead.headers.get('etag')!;
    expect(etag).toBe((await daprd.api('GET', '/v1.0/state/store-dk/shared')).headers.get('etag'));
    // The built-in store honours our ETag and writes one we then check.
    expect(
      (await daprd.api('POST', '/v1.0/state/store-builtin', [{ key: 'shared', value: { by: 'contrib' }, etag }]))
        .status,
    ).toBe(204);
    const ours = await daprd.api('GET', '/v1.0/state/store-dk/shared');
    expect(ours.json).toEqual({ by: 'contrib' });
    expect(
      (await daprd.api('POST', '/v1.0/state/store-dk', [{ key: 'shared', value: { by: 'x' }, etag }])).status,
    ).toBe(409);
    // TTL written by the built-in store is seen (and expired) by ours. contrib stores whole epoch seconds
    // (now + n, truncated), so an item lives between n - 1 and n seconds: n = 1 could already be gone.
    expect(
      (
        await daprd.api('POST', '/v1.0/state/store-builtin', [
          { key: 'ttl', value: 'soon gone', metadata: { ttlInSeconds: '3' } },
        ])
      ).status,
    ).toBe(204);
    expect((await daprd.api('GET', '/v1.0/state/store-dk/ttl')).json).toBe('soon gone');
    await daprd.waitFor(
      async () => ((await daprd.api('GET', '/v1.0/state/store-dk/ttl')).status === 204 ? true : undefined),
      'the TTL item to expire for our store',
      8000,
    );
  });

  it('secrets: one secret and bulk through our plugin', async () => {
    const one = await daprd.api('GET', `/v1.0/secrets/secrets-dk/${secret}`);
    expect(one.json).toEqual({ [secret]: 'hunter2' });
    const bulk = await daprd.api('GET', '/v1.0/secrets/secrets-dk/bulk');
    expect((bulk.json as Record<string, unknown>)[secret]).toEqual({ [secret]: 'hunter2' });
  });

  it('S3 binding: create over the HTTP API stores the unquoted string, get returns it', async () => {
    const created = await daprd.api('POST', '/v1.0/bindings/s3-dk', {
      operation: 'create',
      data: 'hello from daprd',
      metadata: { key: 'greeting.txt' },
    });
    expect(created.status).toBe(200);
    expect((created.json as { location: string }).location).toMatch(/greeting\.txt$/);
    const got = await daprd.api('POST', '/v1.0/bindings/s3-dk', {
      operation: 'get',
      metadata: { key: 'greeting.txt' },
    });
    expect(got.text).toBe('hello from daprd');
  });

  it('SNS/SQS: a published event reaches the app', async () => {
    const published = await daprd.api('POST', `/v1.0/publish/pubsub-dk/${topic}`, { orderId: run });
    expect(published.status).toBe(204);
    const delivery = await daprd.waitFor(
      () => app.deliveries.find((d) => (d.body.data as { orderId?: string } | undefined)?.orderId === run),
      'the event at the app',
      30_000,
    );
    expect(delivery.body.topic).toBe(topic);
  });
});
