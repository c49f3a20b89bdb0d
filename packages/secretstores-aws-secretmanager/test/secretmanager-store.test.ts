import { randomUUID } from 'node:crypto';
import { awsTestProperties } from '@daprkit/aws-common/testing';
import { ErrorCode, NotFoundError, SecretStoreFeature } from '@daprkit/component-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretManagerStore } from '../src/index.js';
import { adminClient, describeWithAws, putSecret } from './support/secrets.js';

describe('metadata validation (no server)', () => {
  it('names the field and never echoes secret values', async () => {
    const store = new SecretManagerStore();
    const err = await store.init({ region: 'us-east-1', accessKey: 'AKIA-not-shown' }).catch((e: Error) => e);
    expect(String(err)).toContain("metadata 'secretKey'");
    expect(String(err)).not.toContain('AKIA-not-shown');
    const bool = await new SecretManagerStore()
      .init({ region: 'us-east-1', multipleKeyValuesPerSecret: 'maybe' })
      .catch((e: Error) => e);
    expect(String(bool)).toContain("metadata 'multipleKeyValuesPerSecret'");
  });

  it('fails init against an endpoint that does not answer, as Unavailable', async () => {
    const store = new SecretManagerStore();
    const err = (await store.init(awsTestProperties({ endpoint: 'http://127.0.0.1:9' })).catch((e: unknown) => e)) as {
      code?: number;
    };
    expect(err.code).toBe(ErrorCode.Unavailable);
  });
});

describeWithAws('Secrets Manager store on the test server', () => {
  const run = randomUUID().slice(0, 8);
  const admin = adminClient();
  let store: SecretManagerStore;
  let multi: SecretManagerStore;
  let arn = '';
  let firstVersion = '';

  beforeAll(async () => {
    ({ arn, versionId: firstVersion } = await putSecret(admin, `daprkit-${run}-plain`, 'v1'));
    await putSecret(admin, `daprkit-${run}-plain`, 'v2');
    await putSecret(admin, `daprkit-${run}-json`, JSON.stringify({ user: 'u', port: 42, nested: { a: 1 } }));
    await putSecret(admin, `daprkit-${run}-binary`, new Uint8Array([1, 2, 3]));
    store = new SecretManagerStore();
    await store.init(awsTestProperties());
    multi = new SecretManagerStore();
    await multi.init(awsTestProperties({ multipleKeyValuesPerSecret: 'true' }));
  });

  afterAll(async () => {
    await store?.close();
    await multi?.close();
    admin.destroy();
  });

  it('returns {name: SecretString}, keyed by the name AWS returns even for a lookup by ARN', async () => {
    expect(await store.getSecret({ name: `daprkit-${run}-plain`, metadata: {} })).toEqual({
      [`daprkit-${run}-plain`]: 'v2',
    });
    expect(await store.getSecret({ name: arn, metadata: {} })).toEqual({ [`daprkit-${run}-plain`]: 'v2' });
  });

  it('reads older versions through version_id and version_stage', async () => {
    const byId = await store.getSecret({ name: `daprkit-${run}-plain`, metadata: { version_id: firstVersion } });
    expect(byId).toEqual({ [`daprkit-${run}-plain`]: 'v1' });
    const previous = await store.getSecret({
      name: `daprkit-${run}-plain`,
      metadata: { version_stage: 'AWSPREVIOUS' },
    });
    expect(previous).toEqual({ [`daprkit-${run}-plain`]: 'v1' });
  });

  it('splits JSON objects into pairs with multipleKeyValuesPerSecret (non-strings JSON-encoded)', async () => {
    expect(multi.features()).toEqual([SecretStoreFeature.MultipleKeyValuesPerSecret]);
    expect(store.features()).toEqual([]);
    expect(await multi.getSecret({ name: `daprkit-${run}-json`, metadata: {} })).toEqual({
      user: 'u',
      port: '42',
      nested: '{"a":1}',
    });
    // Not an object: falls back to {name: value}.
    expect(await multi.getSecret({ name: `daprkit-${run}-plain`, metadata: {} })).toEqual({
      [`daprkit-${run}-plain`]: 'v2',
    });
  });

  it('answers an empty map for a binary-only secret', async () => {
    expect(await store.getSecret({ name: `daprkit-${run}-binary`, metadata: {} })).toEqual({});
  });

  it('reports a missing secret as NotFound with contrib’s text', async () => {
    const err = await store.getSecret({ name: `daprkit-${run}-missing`, metadata: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toContain(`couldn't get secret: daprkit-${run}-missing`);
  });

  it('bulk get pages through every secret', async () => {
    const all = await store.bulkGetSecret({ metadata: {} });
    expect(all[`daprkit-${run}-plain`]).toEqual({ [`daprkit-${run}-plain`]: 'v2' });
    expect(all[`daprkit-${run}-binary`]).toEqual({});
    const split = await multi.bulkGetSecret({ metadata: {} });
    expect(split[`daprkit-${run}-json`]).toEqual({ user: 'u', port: '42', nested: '{"a":1}' });
  });
});
