import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type InvokeRequest } from '@daprkit/component-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMySqlBinding, definitions, type MySqlBinding, VERSION } from '../src/index.js';
import { readSettings } from '../src/metadata.js';
import { describeWithMySql, MYSQL_URL, text, uniqueTable } from './support.js';

const invoke = (operation: string, metadata: Record<string, string>): InvokeRequest => ({
  operation,
  data: new Uint8Array(),
  metadata,
});

describe('package and metadata', () => {
  it('serves bindings.mysql with the package version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(VERSION).toBe(pkg.version);
    expect(definitions[0]).toMatchObject({ kind: 'outputBinding', types: ['bindings.mysql'], packageName: pkg.name });
  });

  it('requires url and rejects bad DSNs without echoing them', () => {
    expect(() => readSettings({})).toThrow("metadata 'url': missing MySql connection string");
    let message = '';
    try {
      readSettings({ url: 'user:hunter2@tcp(db:3306)' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^metadata 'url': illegal Data Source Name \(DSN\) specified by url/);
    expect(message).not.toContain('hunter2');
    expect(readSettings({ url: 'u:p@tcp(db:3307)/app?parseTime=true', maxOpenConns: '3' })).toMatchObject({
      dsn: { user: 'u', database: 'app', address: { host: 'db', port: 3307 } },
      maxOpenConns: 3,
    });
  });
});

describeWithMySql('bindings.mysql against MariaDB', () => {
  let binding: MySqlBinding;
  const table = uniqueTable('binding');

  beforeAll(async () => {
    binding = await createMySqlBinding({ url: MYSQL_URL });
  });
  afterAll(async () => {
    await binding.invoke(invoke('exec', { sql: `DROP TABLE IF EXISTS ${table}` }));
    await binding.close();
  });

  it('exec reports rows-affected (changed rows) and timing metadata', async () => {
    await binding.invoke(
      invoke('exec', {
        sql: `CREATE TABLE ${table} (id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(40), note TEXT, amount DECIMAL(10,3), at DATETIME(6), doc JSON, bin VARBINARY(8), n INT, f FLOAT NOT NULL DEFAULT 1.1)`,
      }),
    );
    const inserted = await binding.invoke(
      invoke('exec', {
        sql: `INSERT INTO ${table} (id, name, note, amount, at, doc, bin, n) VALUES (?, ?, ?, ?, ?, ?, ?, ?), (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
        params: JSON.stringify([
          1,
          'a <b>',
          'long text',
          '12.340',
          '2024-01-02 03:04:05.120000',
          '{"b":1,"a":2}',
          'xy',
          7,
        ]),
      }),
    );
    expect(inserted.metadata).toMatchObject({ operation: 'exec', 'rows-affected': '2' });
    expect(inserted.metadata!['start-time']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
    expect(inserted.metadata!.duration).toMatch(/^\d+(\.\d+)?(ns|µs|ms|s)$/);
    // Without CLIENT_FOUND_ROWS an update to the same value changes nothing.
    const unchanged = await binding.invoke(invoke('exec', { sql: `UPDATE ${table} SET n = 7 WHERE id = 1` }));
    expect(unchanged.metadata!['rows-affected']).toBe('0');
  });

  it('query returns objects keyed by column, with contrib’s NULL, base64 and JSON quirks', async () => {
    const response = await binding.invoke(invoke('query', { sql: `SELECT * FROM ${table} ORDER BY id` }));
    expect(text(response.data)).toBe(
      '[{"amount":"MTIuMzQw","at":"2024-01-02T03:04:05.12Z","bin":"eHk=","doc":"{\\"b\\":1,\\"a\\":2}","f":1.1,"id":1,"n":7,"name":"a \\u003cb\\u003e","note":"long text"},' +
        '{"amount":null,"bin":null,"doc":"","f":1.1,"id":2,"name":"","note":""}]',
    );
    const none = await binding.invoke(invoke('query', { sql: `SELECT id FROM ${table} WHERE id = ?`, params: '[99]' }));
    expect(text(none.data)).toBe('null');
  });

  it('answers bad requests with contrib’s errors', async () => {
    const error = (request: InvokeRequest) =>
      binding.invoke(request).then(
        () => undefined,
        (err: Error) => err,
      );
    expect((await error(invoke('exec', {})))?.message).toBe('metadata required');
    expect((await error(invoke('exec', { params: '[1]' })))?.message).toBe('required metadata not set: sql');
    expect((await error(invoke('exec', { sql: 'SELECT 1', params: '"x"' })))?.message).toMatch(
      /failed to unserialize into an array: json: cannot unmarshal string/,
    );
    expect((await error(invoke('drop', { sql: 'SELECT 1' })))?.message).toBe(
      'invalid operation type: drop. Expected exec, query, or close',
    );
    const bad = await error(invoke('query', { sql: 'SELEC 1' }));
    expect(bad).toBeInstanceOf(InvalidArgumentError);
    expect(bad?.message).toMatch(/^error executing query: Error 1064 \(42000\): You have an error in your SQL syntax/);
    expect((await error(invoke('query', { sql: 'SELECT ?', params: '[{"a":1}]' })))?.message).toMatch(
      /unsupported type map/,
    );
  });

  it('close is idempotent and later operations fail', async () => {
    const own = await createMySqlBinding({ url: MYSQL_URL });
    expect(await own.invoke(invoke('close', {}))).toEqual({});
    await own.close();
    await expect(own.invoke(invoke('query', { sql: 'SELECT 1' }))).rejects.toThrow('component is closed');
  });

  it('fails init naming url when the server is unreachable, without the password', async () => {
    const err = await createMySqlBinding({ url: 'u:topsecret@tcp(127.0.0.1:1)/db' }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^unable to ping the DB: metadata 'url': cannot connect to 127\.0\.0\.1:1/);
    expect(err?.message).not.toContain('topsecret');
  });
});
