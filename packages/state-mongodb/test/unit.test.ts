import { Binary, Double } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { connectionUri as buildUri, type MongoStateStoreMetadata, readSettings } from '../src/metadata.js';
import { translateQuery } from '../src/query.js';
import { decodeValue, encodeValue, rfc3339Seconds } from '../src/values.js';

const connectionUri = (m: Partial<MongoStateStoreMetadata>) => buildUri(m as MongoStateStoreMetadata);
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

describe('metadata', () => {
  it("builds contrib's URIs and applies its defaults", () => {
    const s = readSettings({ host: 'db:27017' });
    expect(s).toMatchObject({
      uri: 'mongodb://db:27017/daprStore',
      databaseName: 'daprStore',
      collectionName: 'daprCollection',
      readConcern: 'local',
      operationTimeoutMs: 5_000,
      writeConcern: { w: 1, journal: true, wtimeoutMS: 5_000 },
      replicaSet: false,
    });
    const base = { databaseName: 'd', collectionName: 'c', readConcern: 'local', operationTimeout: '5s' } as const;
    expect(connectionUri({ ...base, host: 'h:1', username: 'u', password: 'p@ss/w', params: 'replicaSet=rs' })).toBe(
      'mongodb://u:p%40ss%2Fw@h:1/d?replicaSet=rs',
    );
    expect(connectionUri({ ...base, server: 'cluster.example', params: '?tls=true' })).toBe(
      'mongodb+srv://cluster.example/?tls=true',
    );
    expect(connectionUri({ ...base, server: 's', username: 'u', password: 'p' })).toBe('mongodb+srv://u:p@s/d');
    expect(connectionUri({ ...base, connectionString: 'mongodb://x/y', host: 'ignored' })).toBe('mongodb://x/y');
    expect(readSettings({ host: 'h', params: 'replicaSet=rs0', writeConcern: 'majority' })).toMatchObject({
      replicaSet: true,
      writeConcern: { w: 'majority' },
    });
  });

  it('rejects bad input naming the field, never echoing the password', () => {
    expect(() => readSettings({})).toThrow(/host.*must set 'host' or 'server'/);
    expect(() => readSettings({ host: 'a', server: 'b' })).toThrow(/mutually exclusive/);
    expect(() => readSettings({ host: 'a', operationTimeout: '5' })).toThrow(/operationTimeout/);
    expect(() => readSettings({ host: 'a', readConcern: 'strong' })).toThrow(/readConcern/);
    expect(() => readSettings({ host: 'a', writeConcern: 'all' })).toThrow(/writeConcern/);
    const s = readSettings({ host: 'h', username: 'u', password: 'sekrit' });
    expect(s.target).toBe('mongodb://u:***@h/daprStore');
    expect(s.password).toBe('sekrit');
  });
});

describe('values (what daprd stores for the same input)', () => {
  it('objects/arrays/numbers/booleans/null become BSON values, numbers as doubles', () => {
    expect(encodeValue(bytes('{"b":1,"a":[true,null,"x"]}'))).toEqual({ b: new Double(1), a: [true, null, 'x'] });
    expect(encodeValue(bytes('42'))).toEqual(new Double(42));
    expect(encodeValue(bytes('false'))).toBe(false);
    expect(encodeValue(bytes('null'))).toBeNull();
  });

  it('JSON strings keep their quotes, other text is verbatim, non-UTF-8 is binary', () => {
    expect(encodeValue(bytes('"hi"'))).toBe('"hi"');
    expect(encodeValue(bytes('plain text'))).toBe('plain text');
    const bin = encodeValue(new Uint8Array([0xff, 0x00]));
    expect(bin).toBeInstanceOf(Binary);
    expect([...decodeValue(bin)]).toEqual([0xff, 0x00]);
  });

  it('reads documents back as JSON with keys sorted (Go map order), strings verbatim', () => {
    expect(text(decodeValue({ b: 2, a: { d: 1, c: [new Double(1.5)] } }))).toBe('{"a":{"c":[1.5],"d":1},"b":2}');
    expect(text(decodeValue('"hi"'))).toBe('"hi"');
    expect(text(decodeValue(new Double(3)))).toBe('3');
    expect(text(decodeValue(null))).toBe('null');
    expect(rfc3339Seconds(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)))).toBe('2026-01-02T03:04:05Z');
  });
});

describe('query translation', () => {
  it('filters on value.<path> with plain operators, sorts, pages by skip', () => {
    const t = translateQuery({
      filter: { OR: [{ EQ: { 'person.org': 'A' } }, { AND: [{ GTE: { n: 2 } }, { IN: { s: ['x', 1] } }] }] },
      sort: [{ key: 'n', order: 'DESC' }],
      page: { limit: 2, token: '4' },
    });
    expect(t.filter).toEqual({
      $or: [
        { 'value.person.org': 'A' },
        { $and: [{ 'value.n': { $gte: new Double(2) } }, { 'value.s': { $in: ['x', new Double(1)] } }] },
      ],
    });
    expect(t).toMatchObject({
      sort: [
        ['value.n', -1],
        ['_id', 1],
      ],
      skip: 4,
      limit: 2,
    });
    expect(translateQuery({ sort: [], page: { limit: 0 } }).filter).toBeUndefined();
  });

  it('refuses what contrib refuses', () => {
    expect(() => translateQuery({ filter: { GT: { n: 'a' } }, sort: [], page: { limit: 0 } })).toThrow(
      /string type not permitted/,
    );
    expect(() => translateQuery({ sort: [], page: { limit: 1, token: 'abc' } })).toThrow(/token/);
  });
});
