import { describe, expect, it } from 'vitest';
import {
  GoJsonRaw,
  goDurationString,
  goJsonStringify,
  goRfc3339Nano,
  invokeSqlBinding,
  jsonDepthExceeds,
  parseJsonBounded,
  parseSqlParams,
  type SqlBindingDriver,
} from '../src/index.js';

describe('goJsonStringify', () => {
  it('writes what encoding/json writes', () => {
    expect(goJsonStringify({ b: '<a&b>', a: [1, 1.5, 1e21, 1e-7, true, null], '\u00e9': '\u2028' })).toBe(
      '{"a":[1,1.5,1e+21,1e-7,true,null],"b":"\\u003ca\\u0026b\\u003e","é":"\\u2028"}',
    );
    expect(goJsonStringify([GoJsonRaw.number('9007199254740993'), new GoJsonRaw('{"Z":1,"A":2}')])).toBe(
      '[9007199254740993,{"Z":1,"A":2}]',
    );
    expect(goJsonStringify('\ud800x')).toBe('"\ufffdx"');
    expect(() => goJsonStringify(Number.NaN)).toThrow('json: unsupported value: NaN');
    expect(() => GoJsonRaw.number('1.')).toThrow(TypeError);
  });

  it('encodes any depth JSON.parse accepts without exhausting the stack (issue 21 item 5)', () => {
    const deep = `${'[{"a":'.repeat(50_000)}1${'}]'.repeat(50_000)}`;
    expect(goJsonStringify(JSON.parse(deep))).toBe(deep);
    expect(goJsonStringify({ z: [], y: {}, x: [[1], { b: 2, a: [null] }] })).toBe(
      '{"x":[[1],{"a":[null],"b":2}],"y":{},"z":[]}',
    );
  });
});

describe('JSON depth limit (Go encoding/json maxNestingDepth)', () => {
  it('counts nesting outside strings only and refuses more than 10,000 levels', () => {
    expect(jsonDepthExceeds(`${'['.repeat(10_000)}${']'.repeat(10_000)}`)).toBe(false);
    expect(jsonDepthExceeds(`${'['.repeat(10_001)}${']'.repeat(10_001)}`)).toBe(true);
    expect(jsonDepthExceeds(`["${'[{'.repeat(20_000)}\\", "\\"[[["]`, 2)).toBe(false);
    expect(jsonDepthExceeds('[[["\\"]]]', 2)).toBe(true);
    expect(() => parseJsonBounded('[[1]]', 1)).toThrow(/exceeded max depth/);
    expect(parseJsonBounded('{"a":[1]}')).toEqual({ a: [1] });
  });
});

describe('Go time texts', () => {
  it('formats RFC3339Nano and durations like Go', () => {
    expect(goRfc3339Nano(1_704_164_645_123_456_700n)).toBe('2024-01-02T03:04:05.1234567Z');
    expect(goRfc3339Nano(1_704_164_645_000_000_000n)).toBe('2024-01-02T03:04:05Z');
    expect(
      [0n, 850n, 1_500n, 1_234_000n, 2_500_000_000n, 90_000_000_000n, 7_200_000_000_000n, -1_500n].map(
        goDurationString,
      ),
    ).toEqual(['0s', '850ns', '1.5µs', '1.234ms', '2.5s', '1m30s', '2h0m0s', '-1.5µs']);
  });
});

describe('invokeSqlBinding', () => {
  const calls: string[] = [];
  let closed = false;
  const driver: SqlBindingDriver = {
    isClosed: () => closed,
    close: async () => {
      closed = true;
    },
    exec: async (sql, params) => {
      calls.push(`exec ${sql} ${JSON.stringify(params)}`);
      return 3;
    },
    query: async () => Buffer.from('[]'),
  };
  const invoke = (operation: string, metadata: Record<string, string>) =>
    invokeSqlBinding(driver, { operation, data: new Uint8Array(), metadata });

  it('checks in contrib order and fills the response metadata', async () => {
    const exec = await invoke('exec', { sql: 'X', params: '[1,"a"]' });
    expect(calls).toEqual(['exec X [1,"a"]']);
    expect(exec.metadata).toMatchObject({ operation: 'exec', sql: 'X', 'rows-affected': '3' });
    expect(Object.keys(exec.metadata!).sort()).toEqual([
      'duration',
      'end-time',
      'operation',
      'rows-affected',
      'sql',
      'start-time',
    ]);
    expect(Buffer.from((await invoke('query', { sql: 'Q' })).data!).toString()).toBe('[]');
    await expect(invoke('nope', {})).rejects.toThrow('metadata required');
    await expect(invoke('nope', { sql: 'X' })).rejects.toThrow(
      'invalid operation type: nope. Expected exec, query, or close',
    );
    expect(parseSqlParams('null')).toEqual([]);
    expect(() => parseSqlParams('5')).toThrow('cannot unmarshal number into Go value of type []interface {}');
    expect(await invoke('close', {})).toEqual({});
    await expect(invoke('exec', { sql: 'X' })).rejects.toThrow('component is closed');
    expect(await invoke('close', {})).toEqual({});
  });
});
