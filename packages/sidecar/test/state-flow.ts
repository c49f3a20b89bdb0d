/** One state scenario run by several tests against different transports and store placements. */
import type { DaprClient } from '@dapr/dapr';
import { expect } from 'vitest';

export async function runStateFlow(client: DaprClient, store: string, prefix: string): Promise<void> {
  const k = (name: string) => `${prefix}-${name}`;
  await client.state.save(store, [
    { key: k('obj'), value: { total: 5, tags: ['a'] } },
    { key: k('str'), value: 'hello' },
  ]);
  expect(await client.state.get(store, k('obj'))).toEqual({ total: 5, tags: ['a'] });
  expect(await client.state.get(store, k('str'))).toBe('hello');

  const bulk = await client.state.getBulk(store, [k('obj'), k('str'), k('missing')]);
  const byKey = Object.fromEntries(bulk.map((i) => [i.key, i]));
  expect(byKey[k('obj')]?.data).toEqual({ total: 5, tags: ['a'] });
  expect(byKey[k('str')]?.data).toBe('hello');
  const etag = byKey[k('obj')]?.etag as string;
  expect(etag).toBeTruthy();

  // The HTTP client returns `{error}`, the gRPC client rejects (status ABORTED): either way the write must fail.
  const stale = await client.state.save(store, [{ key: k('obj'), value: { total: 6 }, etag: 'stale' }]).then(
    (response) => response.error,
    (error: Error) => error,
  );
  expect(String(stale)).toMatch(/etag mismatch/);
  expect(await client.state.get(store, k('obj'))).toEqual({ total: 5, tags: ['a'] });
  await client.state.save(store, [{ key: k('obj'), value: { total: 7 }, etag }]);
  expect(await client.state.get(store, k('obj'))).toEqual({ total: 7 });

  // A string value: the JS gRPC client only sends transaction values as UTF-8 text.
  await client.state.transaction(store, [
    { operation: 'upsert', request: { key: k('tx'), value: 'step-1' } },
    { operation: 'delete', request: { key: k('str') } },
  ]);
  expect(await client.state.get(store, k('tx'))).toBe('step-1');
  expect(await client.state.get(store, k('str'))).toBe('');

  await client.state.delete(store, k('obj'));
  expect(await client.state.get(store, k('obj'))).toBe('');
}
