// The start-up work moved out of the hot start (issue 13): the runtime protos come from proto/runtime.json, parsed
// at build time, and must give what proto-loader's loadSync of the .proto files gave; `lazy` loads once.
import { readFileSync } from 'node:fs';
import { loadSync } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { lazy } from '../src/shared/lazy.js';
import { APP_CALLBACK_SERVICE, DAPR_SERVICE, runtimeService } from '../src/shared/runtime-proto.js';

const PROTO_ROOT = new URL('../proto/', import.meta.url).pathname;

describe('runtime protos from proto/runtime.json', () => {
  it('is what scripts/runtime-proto-json.mjs generates from proto/ (rerun it after editing a .proto)', async () => {
    // @ts-expect-error a plain .mjs script without types
    const { runtimeProtoJson } = (await import('../scripts/runtime-proto-json.mjs')) as { runtimeProtoJson(): string };
    expect(readFileSync(new URL('../proto/runtime.json', import.meta.url), 'utf8')).toBe(runtimeProtoJson());
  });

  const reference = loadSync(['dapr/proto/runtime/v1/dapr.proto', 'dapr/proto/runtime/v1/appcallback.proto'], {
    includeDirs: [PROTO_ROOT],
    keepCase: true,
    longs: Number,
    enums: Number,
    defaults: true,
    oneofs: true,
  });

  it.each([DAPR_SERVICE, APP_CALLBACK_SERVICE])('%s has proto-loader’s methods, paths and stream flags', (name) => {
    const expected = reference[name] as unknown as Record<string, Record<string, unknown>>;
    const actual = runtimeService(name);
    expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
    expect(Object.keys(actual).length).toBeGreaterThan(name === DAPR_SERVICE ? 50 : 5);
    for (const [method, definition] of Object.entries(actual)) {
      const { path, requestStream, responseStream, originalName } = expected[method] as Record<string, unknown>;
      expect({ method, ...definition }).toMatchObject({ method, path, requestStream, responseStream, originalName });
    }
  });

  it('encodes and decodes as proto-loader does (defaults, oneofs, longs and enums as numbers, bytes, maps, Any)', () => {
    const ours = runtimeService(DAPR_SERVICE);
    const theirs = reference[DAPR_SERVICE] as unknown as typeof ours;
    const samples: [string, unknown][] = [
      [
        'SaveState',
        {
          store_name: 'store',
          states: [
            {
              key: 'k',
              value: Buffer.from('v'),
              etag: { value: '3' },
              metadata: { ttlInSeconds: '5' },
              options: { concurrency: 2, consistency: 1 },
            },
          ],
        },
      ],
      ['GetState', { store_name: 's', key: 'k', consistency: 2, metadata: {} }],
      [
        'PublishEvent',
        { pubsub_name: 'p', topic: 't', data: Buffer.from('{"a":1}'), data_content_type: 'application/json' },
      ],
      ['InvokeService', { id: 'app', message: { method: 'm', data: { type_url: 'x/y', value: Buffer.from([1, 2]) } } }],
      ['ExecuteStateTransaction', { storeName: 'ignored', operations: [{ operationType: 'upsert' }] }],
      ['GetState', { store_name: '', key: '', consistency: 0 }],
      ['ScheduleJobAlpha1', { job: { name: 'j', overwrite: false, due_time: '' }, overwrite: false }],
    ];
    for (const [method, request] of samples) {
      const bytes = theirs[method]!.requestSerialize(request);
      expect(ours[method]!.requestSerialize(request)).toEqual(bytes);
      expect(ours[method]!.requestDeserialize(bytes)).toEqual(theirs[method]!.requestDeserialize(bytes));
    }
    // Every method, both directions: defaults (proto3 implicit presence, `optional` fields, oneofs) as proto-loader.
    const empty = Buffer.alloc(0);
    for (const [method, definition] of Object.entries(ours)) {
      const reference = theirs[method]!;
      expect(definition.requestSerialize({}), method).toEqual(reference.requestSerialize({}));
      expect(definition.requestDeserialize(empty), method).toEqual(reference.requestDeserialize(empty));
      expect(definition.responseDeserialize(empty), method).toEqual(reference.responseDeserialize(empty));
    }
    expect(() => ours.GetState!.requestSerialize([])).toThrow(/expected object with GetStateRequest structure/);
  });
});

describe('lazy', () => {
  it('loads once on the first call, exposes the value after it, and retries a failed load', async () => {
    let calls = 0;
    const once = lazy(async () => ({ n: ++calls }));
    expect(once.value).toBeUndefined();
    expect(calls).toBe(0);
    const [a, b] = await Promise.all([once(), once()]);
    expect(a).toBe(b);
    expect(once.value).toBe(a);
    expect(calls).toBe(1);

    let attempts = 0;
    const flaky = lazy(async () => {
      if (++attempts === 1) throw new Error('first load fails');
      return 'ok';
    });
    await expect(flaky()).rejects.toThrow('first load fails');
    expect(flaky.value).toBeUndefined();
    expect(await flaky()).toBe('ok');
    expect(attempts).toBe(2);
  });
});
