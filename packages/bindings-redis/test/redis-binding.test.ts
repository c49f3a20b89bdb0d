import { randomUUID } from 'node:crypto';
import { createDescribeWithRedis, REDIS_HOST } from '@daprkit/redis-common/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseRedisBindingSettings, RedisBinding } from '../src/index.js';

const DB = 7;
const describeWithRedis = await createDescribeWithRedis();
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString());

describeWithRedis('redis output binding', () => {
  let binding: RedisBinding;
  let raw: Redis;
  const keys: string[] = [];
  const key = () => {
    const k = `daprkit-bindings-redis-test-${randomUUID()}`;
    keys.push(k);
    return k;
  };
  const invoke = (operation: string, metadata: Record<string, string>, data = '') =>
    binding.invoke({ operation, data: bytes(data), metadata });

  beforeAll(async () => {
    binding = new RedisBinding();
    await binding.init({ redisHost: REDIS_HOST, redisDB: String(DB) });
    const [host, port] = REDIS_HOST.split(':');
    raw = new Redis({ host, port: Number(port ?? 6379), db: DB });
  });
  afterAll(async () => {
    if (keys.length > 0) await raw?.del(...keys);
    raw?.disconnect();
    await binding?.close();
  });

  it('create stores the bytes verbatim under the key; get returns them; delete removes', async () => {
    const k = key();
    expect(await invoke('create', { key: k }, '"quoted" {"a":1}')).toEqual({});
    expect(await raw.get(k)).toBe('"quoted" {"a":1}');
    expect(await raw.ttl(k)).toBe(-1);
    expect(text((await invoke('get', { key: k })).data)).toBe('"quoted" {"a":1}');
    expect(await invoke('delete', { key: k })).toEqual({});
    expect(await raw.exists(k)).toBe(0);
    expect(await invoke('get', { key: k })).toEqual({}); // missing key: empty response, no error
    expect(await invoke('delete', { key: k })).toEqual({}); // missing key fine
  });

  it('stores binary data untouched', async () => {
    const k = key();
    const data = new Uint8Array([0, 255, 1, 254, 10, 13]);
    await binding.invoke({ operation: 'create', data, metadata: { key: k } });
    expect(new Uint8Array((await raw.getBuffer(k))!)).toEqual(data);
    expect((await invoke('get', { key: k })).data).toEqual(data);
  });

  it('get with delete "true" (exactly) is GETDEL; other truthy spellings are a plain GET', async () => {
    const k = key();
    await invoke('create', { key: k }, 'v');
    expect(text((await invoke('get', { key: k, delete: 'True' })).data)).toBe('v');
    expect(await raw.exists(k)).toBe(1);
    expect(text((await invoke('get', { key: k, delete: 'true' })).data)).toBe('v');
    expect(await raw.exists(k)).toBe(0);
  });

  it('increment is INCR and returns nothing; errors on a non-integer value', async () => {
    const k = key();
    expect(await invoke('increment', { key: k })).toEqual({});
    await invoke('increment', { key: k });
    expect(await raw.get(k)).toBe('2');
    const s = key();
    await invoke('create', { key: s }, 'text');
    await expect(invoke('increment', { key: s })).rejects.toThrow(
      /redis binding: increment: ERR value is not an integer/,
    );
  });

  it('ttl then ttlInSeconds: Go durations or whole seconds, applied with EXPIRE after the write', async () => {
    const a = key();
    await invoke('create', { key: a, ttlInSeconds: '100' }, 'x');
    expect(await raw.ttl(a)).toBeGreaterThan(95);
    const b = key();
    await invoke('create', { key: b, ttl: '1h', ttlInSeconds: '5' }, 'x');
    expect(await raw.ttl(b)).toBeGreaterThan(3500);
    const c = key();
    await invoke('increment', { key: c, TTL: '90s' });
    expect(await raw.ttl(c)).toBeGreaterThan(80);
    // an INCR without TTL keeps the expiry; a SET without TTL clears it (Redis semantics)
    await invoke('increment', { key: c });
    expect(await raw.ttl(c)).toBeGreaterThan(80);
    await invoke('create', { key: c }, '5');
    expect(await raw.ttl(c)).toBe(-1);
    // the quirk kept from contrib: sub-second TTLs truncate to EXPIRE 0, which deletes the key
    const d = key();
    await invoke('create', { key: d, ttl: '500ms' }, 'gone');
    expect(await raw.exists(d)).toBe(0);
    await expect(invoke('create', { key: key(), ttlInSeconds: '-3' }, 'x')).rejects.toThrow(
      "ttl value must be higher than zero: actual is '-3'",
    );
    await expect(invoke('create', { key: key(), ttlInSeconds: 'soon' }, 'x')).rejects.toThrow(
      "ttl value must be a valid integer: actual is 'soon'",
    );
  });

  it('requires key and a known operation, with contrib texts', async () => {
    await expect(invoke('create', {}, 'x')).rejects.toThrow('redis binding: missing key in request metadata');
    await expect(invoke('get', { key: '' })).rejects.toThrow('redis binding: missing key in request metadata');
    await expect(invoke('expire', { key: key() })).rejects.toThrow('invalid operation type: expire');
    expect(binding.operations()).toEqual(['create', 'get', 'delete', 'increment']);
    await binding.ping();
  });
});

it('fails init with contrib prefix and the field to fix', async () => {
  const b = new RedisBinding();
  await expect(b.init({ redisHost: '127.0.0.1:1', dialTimeout: '500ms' })).rejects.toThrow(
    /^redis binding: error connecting to redis at 127\.0\.0\.1:1: metadata 'redisHost': cannot connect/,
  );
  await expect(b.init({})).rejects.toThrow("metadata 'redisHost': is required");
  const settings = parseRedisBindingSettings({ redisHost: 'h', maxRetries: '9', maxRetryBackoff: '100' });
  expect(settings.maxRetries).toBe(3);
  expect(settings.minRetryIntervalMs).toBe(8);
  expect(settings.ignored).toEqual(['maxRetries', 'maxRetryBackoff']);
});
