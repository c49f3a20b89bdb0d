import { readFileSync } from 'node:fs';
import { InvalidArgumentError, InvalidMetadataError, type InvokeRequest } from '@daprkit/component-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresBinding, definitions, type PostgresBinding, pgValue, VERSION } from '../src/index.js';
import { readSettings } from '../src/metadata.js';
import { describePostgres, PG_URL, text, uniqueTable } from './support.js';

const invoke = (operation: string, metadata: Record<string, string>): InvokeRequest => ({
  operation,
  data: new Uint8Array(),
  metadata,
});

describe('package and metadata', () => {
  it('serves contrib types with the package version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(VERSION).toBe(pkg.version);
    expect(definitions[0]).toMatchObject({
      kind: 'outputBinding',
      types: ['bindings.postgres', 'bindings.postgresql'],
      packageName: pkg.name,
    });
  });

  it('reads url as the legacy alias, applies the timeout rules and names fields in errors', () => {
    expect(readSettings({ url: PG_URL }).pool).toMatchObject({ host: '127.0.0.1', database: 'daprkit' });
    expect(readSettings({ host: 'db', user: 'u' }).pool).toMatchObject({ host: 'db', user: 'u' });
    expect(() => readSettings({})).toThrow(InvalidMetadataError);
    expect(() => readSettings({ url: PG_URL, timeout: '500ms' })).toThrow(/timeout/);
    expect(() => readSettings({ url: PG_URL, useAzureAD: 'true' })).toThrow(/useAzureAD/);
    // contrib's binding accepts useAWSIAM and never applies it.
    expect(() => readSettings({ url: PG_URL, useAWSIAM: 'true' })).not.toThrow();
    expect(readSettings({ url: PG_URL, timeoutInSeconds: '2' }).connectTimeoutMs).toBe(2_000);
  });

  it('encodes column values as pgx + encoding/json do', () => {
    expect(pgValue(20, '9007199254740993')).toMatchObject({ text: '9007199254740993' });
    expect(pgValue(2950, '00010203-0405-0607-0809-0a0b0c0d0e0f')).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    ]);
    expect(pgValue(1184, '2024-01-02 03:04:05.120+05:30')).toBe('2024-01-01T21:34:05.12Z');
    expect(pgValue(1114, '2024-01-02 03:04:05')).toBe('2024-01-02T03:04:05Z');
    expect(pgValue(1082, '2024-01-02')).toBe('2024-01-02T00:00:00Z');
    expect(pgValue(1082, 'infinity')).toBe(1);
    expect(pgValue(17, '\\x00ff')).toBe('AP8=');
    expect(pgValue(1186, '1 year 2 mons -3 days +04:05:06.5')).toMatchObject({
      text: '{"Microseconds":14706500000,"Days":-3,"Months":14,"Valid":true}',
    });
    expect(pgValue(1007, '{1,NULL,3}')).toMatchObject([{ text: '1' }, null, { text: '3' }]);
    expect(pgValue(1009, '{"a b","c\\"d",NULL}')).toEqual(['a b', 'c"d', null]);
  });
});

describePostgres('bindings.postgres against PostgreSQL', () => {
  let binding: PostgresBinding;
  const table = uniqueTable('binding');

  beforeAll(async () => {
    binding = await createPostgresBinding({ connectionString: PG_URL });
  });
  afterAll(async () => {
    const cleanup = await createPostgresBinding({ connectionString: PG_URL });
    await cleanup.invoke(invoke('exec', { sql: `DROP TABLE IF EXISTS ${table}` }));
    await cleanup.close();
    await binding.close();
  });

  it('exec reports rows-affected and the timing metadata', async () => {
    const created = await binding.invoke(
      invoke('exec', {
        sql: `CREATE TABLE ${table} (id int8 PRIMARY KEY, name text, amount numeric(10,3), at timestamptz, doc jsonb, tags text[], u uuid, b bytea, ok boolean, f float8)`,
      }),
    );
    expect(created.metadata).toMatchObject({ operation: 'exec', 'rows-affected': '0' });
    const inserted = await binding.invoke(
      invoke('exec', {
        sql: `INSERT INTO ${table} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10), (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
        params: JSON.stringify([
          1,
          'a <b> & c',
          '12.340',
          '2024-01-02T03:04:05.123456Z',
          { z: 1, a: [true, null] },
          ['x', 'y z'],
          '00010203-0405-0607-0809-0a0b0c0d0e0f',
          '\\x00ff',
          true,
          1.5,
        ]),
      }),
    );
    const m = inserted.metadata!;
    expect(m['rows-affected']).toBe('2');
    expect(m.sql).toContain('INSERT INTO');
    expect(m['start-time']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
    expect(m['end-time']! >= m['start-time']!).toBe(true);
    expect(m.duration).toMatch(/^\d+(\.\d+)?(ns|µs|ms|s)$/);
    expect(inserted.data).toBeUndefined();
  });

  it('query returns rows as arrays in select order, encoded like contrib', async () => {
    const response = await binding.invoke(invoke('query', { sql: `SELECT * FROM ${table} ORDER BY id` }));
    expect(text(response.data)).toBe(
      '[[1,"a \\u003cb\\u003e \\u0026 c",12.340,"2024-01-02T03:04:05.123456Z",{"a":[true,null],"z":1},["x","y z"],[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15],"AP8=",true,1.5],' +
        '[2,null,null,null,null,null,null,null,null,null]]',
    );
    expect(response.metadata).toMatchObject({ operation: 'query' });
    expect(response.metadata!['rows-affected']).toBeUndefined();
    const none = await binding.invoke(
      invoke('query', { sql: `SELECT id FROM ${table} WHERE id = $1`, params: '[99]' }),
    );
    expect(text(none.data)).toBe('[]');
  });

  it('answers bad requests with contrib’s errors', async () => {
    const error = (request: InvokeRequest) =>
      binding.invoke(request).then(
        () => undefined,
        (err: Error) => err,
      );
    expect((await error(invoke('query', {})))?.message).toBe('metadata required');
    expect((await error(invoke('query', { params: '[]' })))?.message).toBe('required metadata not set: sql');
    const params = await error(invoke('exec', { sql: 'SELECT 1', params: '{"a":1}' }));
    expect(params).toBeInstanceOf(InvalidArgumentError);
    expect(params?.message).toBe(
      'invalid metadata property params: failed to unserialize into an array: json: cannot unmarshal object into Go value of type []interface {}',
    );
    expect((await error(invoke('upsert', { sql: 'SELECT 1' })))?.message).toBe(
      'invalid operation type: upsert. Expected exec, query, or close',
    );
    const bad = await error(invoke('query', { sql: 'SELEC 1' }));
    expect(bad?.message).toMatch(/^error executing query: ERROR: syntax error at or near "SELEC" \(SQLSTATE 42601\)$/);
    const missing = await error(invoke('query', { sql: 'SELECT $1::int' }));
    expect(missing).toBeInstanceOf(InvalidArgumentError);
    expect(missing?.message).toMatch(/^error executing query: ERROR: .*\$1.* \(SQLSTATE [0-9A-Z]{5}\)$/);
    const nan = await error(invoke('query', { sql: "SELECT 'NaN'::float8" }));
    expect(nan?.message).toBe('error serializing results: json: unsupported value: NaN');
  });

  it('close is idempotent, other operations then fail, init after close is refused', async () => {
    const own = await createPostgresBinding({ url: PG_URL });
    expect(await own.invoke(invoke('close', {}))).toEqual({});
    expect(await own.invoke(invoke('close', {}))).toEqual({});
    await expect(own.invoke(invoke('query', { sql: 'SELECT 1' }))).rejects.toThrow('component is closed');
    await expect(own.init({ url: PG_URL })).rejects.toThrow('cannot initialize a previously-closed component');
  });

  it('fails init with the redacted target when the server is unreachable', async () => {
    const err = await createPostgresBinding({ url: 'postgres://u:topsecret@127.0.0.1:1/db' }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^unable to connect to the DB: .*postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/db/);
    expect(err?.message).not.toContain('topsecret');
  });
});
