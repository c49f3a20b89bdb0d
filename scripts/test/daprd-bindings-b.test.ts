/**
 * bindings-postgresql, bindings-mysql and bindings-kafka as plugins from their bins behind a real daprd 1.16,
 * used through daprd's binding API as an app would. The SQL bindings answer the same queries as daprd's own
 * built-in bindings.postgres on the same database, and the bytes must match (daprd's stable build has no
 * bindings.mysql: its expected rows follow contrib's code); the Kafka input
 * delivers to the app through daprd, both for records from our output and from daprd's built-in bindings.kafka
 * (same partitions for the same key: sarama's partitioner on both sides).
 * No daprd or unreachable backends: skipped with the reason locally, a failure with CI=true.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PluginProcess, startPluginProcess } from '@daprkit/component-sdk/testing';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unreachable } from '../../packages/sidecar/test/outbox-support.js';
import { componentYaml, type Daprd, daprdMissing, REPO_ROOT, startDaprd, startRecordingApp } from './daprd-support.js';

const PG_URL = process.env.DAPRKIT_PG_URL ?? 'postgres://daprkit:daprkit@127.0.0.1:5432/daprkit';
const MYSQL_URL = (process.env.DAPRKIT_MYSQL_DSN ?? 'daprkit:daprkit@tcp(127.0.0.1:3306)/').replace(
  /\/(\?|$)/,
  '/daprkit$1',
);
const BROKERS = process.env.DAPRKIT_KAFKA_BROKERS ?? '127.0.0.1:9092';
const PACKAGES = ['bindings-postgresql', 'bindings-mysql', 'bindings-kafka'];

const backends = [
  { type: 'bindings.postgres', address: '127.0.0.1:5432' },
  { type: 'bindings.mysql', address: '127.0.0.1:3306' },
  { type: 'bindings.kafka', address: BROKERS.split(',')[0]! },
] as unknown as Parameters<typeof unreachable>[0];
const skipReason = daprdMissing(PACKAGES) ?? (await unreachable(backends));
const suite = skipReason === undefined ? describe : describe.skip;

const run = randomUUID().slice(0, 8);
const pgTable = `daprd_bind_${run}`;
const myTable = `daprd_bind_${run}`;
const topic = `daprd-bindings-${run}`;
let daprd: Daprd;
let app: Awaited<ReturnType<typeof startRecordingApp>>;
const plugins: PluginProcess[] = [];

/** Invokes an output binding through daprd's HTTP API; fails the test on a non-2xx answer. */
async function invoke(name: string, operation: string, metadata: Record<string, string>, data?: unknown) {
  const response = await daprd.api('POST', `/v1.0/bindings/${name}`, { operation, metadata, data });
  if (response.status >= 300) throw new Error(`${name} ${operation}: ${response.status} ${response.text}`);
  return response;
}

suite(`daprd with the SQL and Kafka binding plugins${skipReason ? ` (SKIPPED: ${skipReason})` : ''}`, () => {
  beforeAll(async () => {
    const sockets = await mkdtemp('/tmp/dk-daprd-bb-');
    const bin = (pkg: string) => join(REPO_ROOT, 'packages', pkg, 'bin', `daprkit-${pkg}.js`);
    plugins.push(
      ...(await Promise.all([
        startPluginProcess(bin('bindings-postgresql'), join(sockets, 'dk-bpg.sock')),
        startPluginProcess(bin('bindings-mysql'), join(sockets, 'dk-bmy.sock')),
        startPluginProcess(bin('bindings-kafka'), join(sockets, 'dk-bkafka.sock')),
      ])),
    );
    const admin = new kafkajs.Kafka({ brokers: BROKERS.split(','), logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    app = await startRecordingApp([]);
    const kafka = { brokers: BROKERS, authType: 'none' };
    const resources = await mkdtemp('/tmp/dk-daprd-bb-res-');
    await writeFile(
      join(resources, 'components.yaml'),
      [
        componentYaml('pg-dk', 'bindings.dk-bpg', { url: PG_URL }),
        componentYaml('pg-builtin', 'bindings.postgres', { connectionString: PG_URL }),
        componentYaml('my-dk', 'bindings.dk-bmy', { url: MYSQL_URL }),
        componentYaml('kafka-in', 'bindings.dk-bkafka', {
          ...kafka,
          topics: topic,
          consumerGroup: `daprd-bb-${run}`,
          initialOffset: 'oldest',
        }),
        componentYaml('kafka-out', 'bindings.dk-bkafka', { ...kafka, publishTopic: topic, direction: 'output' }),
        componentYaml('kafka-builtin-out', 'bindings.kafka', { ...kafka, publishTopic: topic, direction: 'output' }),
      ].join('---\n'),
    );
    daprd = await startDaprd({
      appId: `daprd-bb-${run}`,
      appPort: app.port,
      resourcesPath: resources,
      socketsFolder: sockets,
    });
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([
      daprd && invoke('pg-dk', 'exec', { sql: `DROP TABLE IF EXISTS ${pgTable}` }),
      daprd && invoke('my-dk', 'exec', { sql: `DROP TABLE IF EXISTS ${myTable}` }),
    ]);
    await daprd?.stop();
    await Promise.all(plugins.map((p) => p.kill()));
    await app?.close();
  });

  it('lists the plugins with their operations in the metadata API', async () => {
    const metadata = (await daprd.api('GET', '/v1.0/metadata')).json as {
      components: { name: string; type: string }[];
    };
    const types = Object.fromEntries(metadata.components.map((c) => [c.name, c.type]));
    expect(types).toMatchObject({
      'pg-dk': 'bindings.dk-bpg',
      'my-dk': 'bindings.dk-bmy',
      'kafka-in': 'bindings.dk-bkafka',
    });
  });

  it('postgres: exec and query through daprd, byte-identical to the built-in bindings.postgres', async () => {
    await invoke('pg-dk', 'exec', {
      sql: `CREATE TABLE ${pgTable} (id int8 PRIMARY KEY, name text, amount numeric(10,3), at timestamptz, day date, ts timestamp, doc jsonb, tags text[], nums int4[], u uuid, b bytea, ok boolean, f4 float4, f8 float8, span interval, tod time)`,
    });
    const inserted = await invoke('pg-dk', 'exec', {
      sql: `INSERT INTO ${pgTable} VALUES (1, 'a <b> & "c"', 12.340, '2024-01-02 03:04:05.123456+02', '2024-02-29', '2024-01-02 03:04:05.5', '{"z":1,"a":[true,null,1.5e3],"s":"<x>"}', '{x,"y z"}', '{1,NULL,3}', '00010203-0405-0607-0809-0a0b0c0d0e0f', '\\x00ff', true, 1.1, 0.1, '1 year 2 mons 3 days 04:05:06.789', '12:34:56.5'), (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), ($1, $2, $3, now(), current_date, now(), $4, NULL, NULL, gen_random_uuid(), NULL, false, -0.5, 1e21, '-1 days', '00:00:00')`,
      params: '[3, "param", "0.001", {"n": 9007199254740993}]',
    });
    expect(inserted.headers.get('metadata.rows-affected')).toBe('3');
    for (const [sql, params] of [
      [`SELECT * FROM ${pgTable} WHERE id < 3 ORDER BY id`, undefined],
      [`SELECT id, name, amount, doc, ok, f4, f8, span FROM ${pgTable} WHERE id = $1`, '[3]'],
      [`SELECT id FROM ${pgTable} WHERE id > $1`, '[100]'],
      [`SELECT count(*), 1.5::float8, 'x'::varchar, 7::int2, NULL::text, '{}'::jsonb`, undefined],
    ] as const) {
      const metadata: Record<string, string> = params === undefined ? { sql } : { sql, params };
      const ours = await invoke('pg-dk', 'query', metadata);
      const theirs = await invoke('pg-builtin', 'query', metadata);
      expect(ours.text, sql).toBe(theirs.text);
    }
    const empty = await invoke('pg-dk', 'query', { sql: `SELECT id FROM ${pgTable} WHERE false` });
    expect(empty.text).toBe('[]');
  });

  // daprd is built with `stablecomponents` and bindings.mysql is alpha, so there is no built-in one to compare
  // with: the expected bytes follow contrib's code (go-sql-driver v1.7.1 scan types, json.Marshal of a map).
  it('mysql: exec and query through daprd, with contrib’s row objects on MariaDB', async () => {
    await invoke('my-dk', 'exec', {
      sql: `CREATE TABLE ${myTable} (id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(40), note TEXT, amount DECIMAL(10,3), at DATETIME(6), day DATE, ts TIMESTAMP NULL, doc JSON, bin VARBINARY(8), n INT, f FLOAT NOT NULL DEFAULT 1.1, fn FLOAT, d DOUBLE, t TIME, flag TINYINT(1), e ENUM('x','y'), big BIGINT UNSIGNED)`,
    });
    await invoke('my-dk', 'exec', {
      sql: `INSERT INTO ${myTable} (id, name, note, amount, at, day, ts, doc, bin, n, fn, d, t, flag, e, big) VALUES (1, 'a <b> & c', 'text', 12.340, '2024-01-02 03:04:05.123000', '2024-02-29', '2024-01-02 03:04:05', '{"b":1,"a":2}', 'xy', 7, 1.1, 0.1, '12:34:56', 1, 'y', 18446744073709551615), (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), (?, ?, ?, ?, NOW(), CURDATE(), NULL, ?, NULL, ?, ?, ?, NULL, 0, 'x', 0)`,
      params: JSON.stringify([3, 'param', 'more', '0.5', '[1,2]', 42, 2.5, 1e21]),
    });
    const rows = await invoke('my-dk', 'query', { sql: `SELECT * FROM ${myTable} WHERE id < 3 ORDER BY id` });
    expect(rows.text).toBe(
      '[{"amount":"MTIuMzQw","at":"2024-01-02T03:04:05.123Z","big":18446744073709551615,"bin":"eHk=","d":0.1,"day":"2024-02-29T00:00:00Z","doc":"{\\"b\\":1,\\"a\\":2}","e":"y","f":1.1,"flag":1,"fn":1.1,"id":1,"n":7,"name":"a \\u003cb\\u003e \\u0026 c","note":"text","t":"MTI6MzQ6NTY=","ts":"2024-01-02T03:04:05Z"},' +
        '{"amount":null,"bin":null,"doc":"","e":"","f":1.1,"id":2,"name":"","note":"","t":null}]',
    );
    const params = await invoke('my-dk', 'query', {
      sql: `SELECT id, fn, d FROM ${myTable} WHERE id = ?`,
      params: '[3]',
    });
    // With params contrib's driver uses a prepared statement: a nullable FLOAT is a widened float32.
    expect(params.text).toBe('[{"d":1e+21,"fn":2.5,"id":3}]');
    const none = await invoke('my-dk', 'query', { sql: `SELECT id FROM ${myTable} WHERE id > ?`, params: '[100]' });
    expect(none.text).toBe('null');
  });

  it('kafka: records from our output and from daprd’s built-in bindings.kafka reach the app through our input', async () => {
    await invoke('kafka-out', 'create', { partitionKey: 'order-1' }, { from: 'daprkit', n: 1 });
    await invoke('kafka-builtin-out', 'create', { partitionKey: 'order-1' }, { from: 'builtin', n: 2 });
    const delivered = await daprd.waitFor(
      () => {
        const events = app.deliveries.filter((d) => d.path === '/kafka-in');
        return events.length >= 2 ? events : undefined;
      },
      'both kafka records at the app',
      30_000,
    );
    const byOrigin = new Map(delivered.map((d) => [d.body.from as string, d]));
    expect(byOrigin.get('daprkit')?.body).toEqual({ from: 'daprkit', n: 1 });
    expect(byOrigin.get('builtin')?.body).toEqual({ from: 'builtin', n: 2 });
    for (const d of delivered) {
      expect(d.headers.__topic).toBe(topic);
      expect(d.headers.__key).toBe('order-1');
    }
    // Same key, same partition: our producer partitions like sarama.
    expect(byOrigin.get('daprkit')?.headers.__partition).toBe(byOrigin.get('builtin')?.headers.__partition);
  });
});
