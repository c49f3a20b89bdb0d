import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectTaggingCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Binding } from '../src/index.js';
import { tagging, unquote } from '../src/payload.js';
import { adminClient, bindingProperties, createBucket, describeWithAws } from './support/s3.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString());

describe('payload rules (no server)', () => {
  it('unquotes JSON strings, numbers and booleans; keeps objects, arrays and non-JSON as bytes', () => {
    expect(dec(unquote(enc('"hi \\"there\\""')))).toBe('hi "there"');
    expect(dec(unquote(enc('42.50')))).toBe('42.50');
    expect(dec(unquote(enc('true')))).toBe('true');
    expect(dec(unquote(enc('{"b":1, "a":2}')))).toBe('{"b":1, "a":2}');
    expect(dec(unquote(enc('[1]')))).toBe('[1]');
    expect(dec(unquote(enc('plain text')))).toBe('plain text');
  });

  it('turns k1=v1,k2=v2 into URL tagging and rejects malformed tags', () => {
    expect(tagging(' team = a b , env=prod')).toBe('team=a%20b&env=prod');
    expect(() => tagging('novalue')).toThrow(/invalid tag 'novalue'/);
  });

  it('requires bucket, names bad booleans, and never echoes secrets', async () => {
    const b = new S3Binding();
    await expect(b.init({ region: 'us-east-1' })).rejects.toThrow("metadata 'bucket': is required");
    await expect(new S3Binding().init({ region: 'us-east-1', bucket: 'b', forcePathStyle: 'sure' })).rejects.toThrow(
      "metadata 'forcePathStyle'",
    );
    const err = await new S3Binding()
      .init({ region: 'us-east-1', bucket: 'b', secretKey: 'TOPSECRET' })
      .catch((e: Error) => e);
    expect(String(err)).toContain("metadata 'accessKey'");
    expect(String(err)).not.toContain('TOPSECRET');
  });
});

describeWithAws('S3 binding on the test server', () => {
  const bucket = `daprkit-s3-${randomUUID().slice(0, 8)}`;
  const admin = adminClient();
  const dir = mkdtempSync(join(tmpdir(), 'daprkit-s3-'));
  let binding: S3Binding;

  beforeAll(async () => {
    await createBucket(bucket);
    binding = new S3Binding();
    await binding.init(bindingProperties(bucket));
  });

  afterAll(async () => {
    await binding?.close();
    admin.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const invoke = (operation: string, data: string | Uint8Array = '', metadata: Record<string, string> = {}) =>
    binding.invoke({ operation, data: typeof data === 'string' ? enc(data) : data, metadata });

  it('fails init for a missing bucket, naming the field', async () => {
    await expect(new S3Binding().init(bindingProperties(`${bucket}-missing`))).rejects.toThrow(
      /metadata 'bucket': bucket '.*-missing' not found/,
    );
  });

  it('creates (unquoted, with content type and tags), gets and deletes', async () => {
    const created = await invoke('create', '"hello"', {
      key: 'a/b.txt',
      'Content-Type': 'text/plain',
      tags: 'x=1,y=2',
    });
    expect(created.metadata).toEqual({ key: 'a/b.txt' });
    const body = JSON.parse(dec(created.data)!);
    expect(body).toEqual({ location: expect.stringMatching(new RegExp(`/${bucket}/a/b\\.txt$`)), versionID: null });
    expect(dec((await invoke('get', '', { key: 'a/b.txt' })).data)).toBe('hello');
    const head = await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: 'a/b.txt' }));
    expect(head.ContentType).toBe('text/plain');
    const tags = await admin.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: 'a/b.txt' }));
    expect(tags.TagSet).toEqual([
      { Key: 'x', Value: '1' },
      { Key: 'y', Value: '2' },
    ]);
    await invoke('delete', '', { key: 'a/b.txt' });
    await expect(invoke('get', '', { key: 'a/b.txt' })).rejects.toThrow('object not found');
  });

  it('generates a key when none is given, and base64 decodes/encodes on request', async () => {
    const created = await invoke('create', Buffer.from([0, 1, 2, 255]).toString('base64'), { decodeBase64: 'true' });
    const key = created.metadata!.key!;
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    expect(Buffer.from((await invoke('get', '', { key })).data!)).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(dec((await invoke('get', '', { key, encodeBase64: 'true' })).data)).toBe('AAEC/w==');
    await expect(invoke('create', 'not base64!', { decodeBase64: 'true' })).rejects.toThrow(/not valid base64/);
  });

  it('presigns a GET URL that really downloads, at create and through presign', async () => {
    const created = JSON.parse(dec((await invoke('create', 'signed', { key: 'signed.txt', presignTTL: '15m' })).data)!);
    expect(created.presignURL).toContain('X-Amz-Expires=900');
    const response = await fetch(created.presignURL);
    expect(await response.text()).toBe('signed');
    const presigned = JSON.parse(dec((await invoke('presign', '', { key: 'signed.txt', presignTTL: '1h' })).data)!);
    expect(presigned.presignURL).toContain('X-Amz-Expires=3600');
    await expect(invoke('presign', '', { key: 'signed.txt' })).rejects.toThrow(/presignTTL/);
    await expect(invoke('presign', '', { key: 'signed.txt', presignTTL: 'soon' })).rejects.toThrow(/not a duration/);
  });

  it('lists with prefix, maxResults and marker, in the Go SDK JSON shape', async () => {
    for (const k of ['list/1', 'list/2', 'list/3']) await invoke('create', k, { key: k });
    const page = JSON.parse(dec((await invoke('list', '{"prefix":"list/","maxResults":2}')).data)!);
    expect(page.Contents.map((o: { Key: string }) => o.Key)).toEqual(['list/1', 'list/2']);
    expect(page.IsTruncated).toBe(true);
    expect(page.MaxKeys).toBe(2);
    expect(page.Name).toBe(bucket);
    expect(page.ResultMetadata).toEqual({});
    expect(page.Contents[0].ETag).toMatch(/^".+"$/);
    expect(page.Contents[0].LastModified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const next = JSON.parse(dec((await invoke('list', '{"prefix":"list/","marker":"list/2"}')).data)!);
    expect(next.Contents.map((o: { Key: string }) => o.Key)).toEqual(['list/3']);
    expect(JSON.parse(dec((await invoke('list', '')).data)!).MaxKeys).toBe(1000);
    await expect(invoke('list', '[1]')).rejects.toThrow(/unable to parse Data property/);
  });

  it('uploads from and downloads to a local file (filePath)', async () => {
    const source = join(dir, 'in.bin');
    writeFileSync(source, 'from file');
    await invoke('create', '', { key: 'file.txt', filePath: source });
    const target = join(dir, 'out.bin');
    const got = await invoke('get', '', { key: 'file.txt', filePath: target });
    expect(got.data).toBeUndefined();
    expect(readFileSync(target, 'utf8')).toBe('from file');
  });

  it('bulkCreate, bulkGet and bulkDelete report per item, in order', async () => {
    const created = JSON.parse(
      dec(
        (
          await invoke(
            'bulkCreate',
            JSON.stringify({
              items: [
                { key: 'bulk/1', data: 'one' },
                { key: 'bulk/2', data: '"two"' },
              ],
              concurrency: 2,
            }),
          )
        ).data,
      )!,
    );
    expect(created.map((r: { key: string }) => r.key)).toEqual(['bulk/1', 'bulk/2']);
    const got = JSON.parse(
      dec(
        (
          await invoke(
            'bulkGet',
            JSON.stringify({ items: [{ key: 'bulk/2' }, { key: 'bulk/nope' }, { key: 'bulk/1' }] }),
          )
        ).data,
      )!,
    );
    expect(got).toEqual([
      { key: 'bulk/2', data: '"two"' }, // bulk items are not unquoted (as contrib)
      { key: 'bulk/nope', error: 'object not found' },
      { key: 'bulk/1', data: 'one' },
    ]);
    const deleted = JSON.parse(
      dec((await invoke('bulkDelete', JSON.stringify({ keys: ['bulk/1', 'bulk/2', 'bulk/1', ' '] }))).data)!,
    );
    expect(deleted).toEqual([
      { key: 'bulk/1' },
      { key: 'bulk/2' },
      { key: 'bulk/1' },
      { key: ' ', error: 'key is required' },
    ]);
    await expect(invoke('get', '', { key: 'bulk/1' })).rejects.toThrow('object not found');
    await expect(invoke('bulkGet', '{"items":[]}')).rejects.toThrow(/non-empty array/);
    await expect(invoke('bulkGet', '{"items":[{"key":"a"}],"concurrency":0}')).rejects.toThrow(/concurrency/);
  });

  it('rejects a get without key and an unknown operation', async () => {
    await expect(invoke('get')).rejects.toThrow("required metadata 'key' missing");
    await expect(invoke('copy')).rejects.toThrow('s3 binding error: unsupported operation copy');
  });
});
