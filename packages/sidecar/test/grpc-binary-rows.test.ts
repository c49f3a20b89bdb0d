// Issue 14: values saved over gRPC land in PostgreSQL/MySQL as daprd 1.18.1 stores them — base64 with isbinary
// set, unless `contentType: application/json` — so a table shared with Go sidecars holds the same rows. The same
// saves go through a real daprd (built-in contrib stores) and through us; then the rows are compared, and each
// side reads the other's. Needs scripts/daprd.sh's 1.18.1 binary and the backends (CI=true: a failure if missing).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@daprkit/component-sdk/testing';
import { type Client, credentials, Metadata as GrpcMetadata, makeClientConstructor } from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { daprService } from '../src/shared/runtime-proto.js';
import { createSidecar, type Sidecar } from '../src/sidecar.js';
import { MYSQL_DSN, PG_URL, reachable, yamlComponent } from './outbox-support.js';
import { http, REPO_ROOT, waitFor } from './support.js';

const DAPRD = process.env.DAPRKIT_DAPRD_118 ?? join(process.env.HOME ?? '/root', '.cache/daprkit/bin/daprd-1.18.1');
// The drivers come with the store packages; the sidecar package itself has no SQL client.
const fromPackage = (pkg: string) => createRequire(join(REPO_ROOT, 'packages', pkg, 'package.json'));

interface Row {
  key: string;
  value: string;
  isbinary: boolean;
}

interface Backend {
  type: 'state.postgresql' | 'state.mysql';
  address: string;
  metadata: (table: string) => Record<string, string>;
  rows: (table: string) => Promise<Row[]>;
  drop: (table: string) => Promise<void>;
}

// Just what the test uses of `pg` and `mysql2/promise` (their types are not dependencies of this package).
interface SqlClient {
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}
type PgModule = { Client: new (options: { connectionString: string }) => SqlClient & { connect(): Promise<void> } };
type MysqlModule = { createConnection(options: Record<string, unknown>): Promise<SqlClient> };

async function pgClient(): Promise<SqlClient> {
  const { Client } = fromPackage('state-postgresql')('pg') as PgModule;
  const client = new Client({ connectionString: PG_URL });
  await client.connect();
  return client;
}

function mysqlClient(): Promise<SqlClient> {
  const mysql = fromPackage('state-mysql')('mysql2/promise') as MysqlModule;
  const [user, rest] = MYSQL_DSN.split('@') as [string, string];
  const [name, password] = user.split(':');
  const [host, port] = (/\(([^)]+)\)/.exec(rest)?.[1] ?? '127.0.0.1:3306').split(':');
  return mysql.createConnection({ host, port: Number(port), user: name, password });
}

async function withClient<T>(open: () => Promise<SqlClient>, use: (client: SqlClient) => Promise<T>): Promise<T> {
  const client = await open();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

const BACKENDS: Backend[] = [
  {
    type: 'state.postgresql',
    address: new URL(PG_URL).host,
    metadata: (table) => ({ connectionString: PG_URL, tableName: table }),
    rows: (table) =>
      withClient(pgClient, async (client) => {
        const result = (await client.query(`SELECT key, value::text AS value, isbinary FROM ${table}`)) as {
          rows: Row[];
        };
        return result.rows;
      }),
    drop: (table) => withClient(pgClient, (client) => client.query(`DROP TABLE IF EXISTS ${table}`)).then(() => {}),
  },
  {
    type: 'state.mysql',
    address: /\(([^)]+)\)/.exec(MYSQL_DSN)?.[1] ?? '127.0.0.1:3306',
    metadata: (table) => ({
      connectionString: `${MYSQL_DSN}?parseTime=true`,
      tableName: table,
      schemaName: 'dapr_rows',
    }),
    rows: (table) =>
      withClient(mysqlClient, async (client) => {
        const [rows] = (await client.query(
          `SELECT id AS \`key\`, CAST(value AS CHAR) AS value, isbinary FROM dapr_rows.${table}`,
        )) as [{ key: string; value: string; isbinary: number }[]];
        return rows.map((r) => ({ ...r, isbinary: Boolean(r.isbinary) }));
      }),
    drop: (table) =>
      withClient(mysqlClient, (client) => client.query(`DROP TABLE IF EXISTS dapr_rows.${table}`)).then(() => {}),
  },
];

type Unary = (
  request: unknown,
  metadata: GrpcMetadata,
  callback: (error: Error | null, response: unknown) => void,
) => void;
function call(client: Client, method: string, request: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) =>
    (client as unknown as Record<string, Unary>)[method]!.call(
      client,
      request,
      new GrpcMetadata(),
      (error, response) => (error ? reject(error) : resolve(response as Record<string, unknown>)),
    ),
  );
}

/** What the test saves through each sidecar: raw JSON-looking bytes, raw binary, and a declared JSON value. */
const SAVES = [
  { suffix: 'raw-json', value: Buffer.from('{"a":1,"b":"<&>"}'), metadata: {} },
  { suffix: 'raw-bytes', value: Buffer.from([0, 159, 146, 150]), metadata: {} },
  { suffix: 'declared-json', value: Buffer.from('{"a":1}'), metadata: { contentType: 'application/json' } },
];

const missing = [
  ...(existsSync(DAPRD) ? [] : [`no daprd 1.18.1 at ${DAPRD} (DAPRKIT_DAPRD_VERSION=1.18.1 bash scripts/daprd.sh)`]),
];
if (missing.length > 0 && process.env.CI === 'true') throw new Error(missing.join('; '));

describe.skipIf(missing.length > 0)(
  `gRPC-saved rows as daprd 1.18.1 writes them${missing.length ? ` (SKIPPED: ${missing.join('; ')})` : ''}`,
  () => {
    const cleanups: (() => Promise<unknown>)[] = [];
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    });

    for (const backend of BACKENDS) {
      it(`${backend.type}: same rows, and each side reads the other's`, { timeout: 60_000 }, async (context) => {
        if (!(await reachable(backend.address))) {
          if (process.env.CI === 'true') throw new Error(`${backend.type} unreachable at ${backend.address}`);
          context.skip();
        }
        const table = `grpc_rows_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
        const appId = `rows-${table}`;
        cleanups.push(() => backend.drop(table));
        const dir = await mkdtemp(join(tmpdir(), 'grpc-rows-'));
        cleanups.push(() => rm(dir, { recursive: true, force: true }));
        await writeFile(join(dir, 'state.yaml'), yamlComponent('statestore', backend.type, backend.metadata(table)));
        const [httpPort, grpcPort, internal, metrics] = [
          await freePort(),
          await freePort(),
          await freePort(),
          await freePort(),
        ];
        const daprd: ChildProcess = spawn(
          DAPRD,
          [
            ...['--app-id', appId, '--dapr-http-port', String(httpPort), '--dapr-grpc-port', String(grpcPort)],
            ...['--dapr-internal-grpc-port', String(internal), '--metrics-port', String(metrics)],
            ...['--dapr-listen-addresses', '127.0.0.1', '--resources-path', dir, '--log-level', 'warn'],
          ],
          { stdio: 'ignore' },
        );
        cleanups.push(async () => {
          daprd.kill('SIGTERM');
          await new Promise((r) => (daprd.exitCode === null ? daprd.once('exit', r) : r(null)));
        });
        await waitFor(
          async () =>
            (await http(httpPort, 'GET', '/v1.0/healthz').catch(() => ({ status: 0 }))).status === 204 || undefined,
          30_000,
          'daprd 1.18.1 healthy',
        );
        const sidecar: Sidecar = await createSidecar({
          appId,
          httpPort: 0,
          grpcPort: 0,
          components: [{ name: 'statestore', type: backend.type, metadata: backend.metadata(table) }],
          logger: { debug() {}, info() {}, warn() {}, error() {}, child: () => ({}) } as never,
        });
        cleanups.push(() => sidecar.close());
        const Dapr = makeClientConstructor(daprService().service as never, 'Dapr');
        const clients = {
          daprd: new Dapr(`127.0.0.1:${grpcPort}`, credentials.createInsecure()),
          ours: new Dapr(`127.0.0.1:${sidecar.grpcPort}`, credentials.createInsecure()),
        };
        cleanups.push(async () => {
          clients.daprd.close();
          clients.ours.close();
        });
        for (const [who, client] of Object.entries(clients)) {
          const states = SAVES.map((s) => ({ key: `${who}-${s.suffix}`, value: s.value, metadata: s.metadata }));
          await call(client, 'SaveState', { store_name: 'statestore', states });
          // A transaction upsert is raw bytes in daprd's gRPC API, whatever the content type.
          await call(client, 'ExecuteStateTransaction', {
            storeName: 'statestore',
            operations: [{ operationType: 'upsert', request: { key: `${who}-tx`, value: Buffer.from('{"t":true}') } }],
          });
        }
        const rows = await backend.rows(table);
        const byKey = new Map(rows.map((r) => [r.key.slice(r.key.indexOf('||') + 2), r]));
        for (const suffix of [...SAVES.map((s) => s.suffix), 'tx']) {
          const theirs = byKey.get(`daprd-${suffix}`);
          const ours = byKey.get(`ours-${suffix}`);
          expect(theirs, `daprd row ${suffix}`).toBeDefined();
          expect({ suffix, isbinary: ours?.isbinary, value: ours?.value }).toEqual({
            suffix,
            isbinary: theirs?.isbinary,
            value: theirs?.value,
          });
        }
        expect(byKey.get('daprd-raw-json')?.isbinary).toBe(true);
        expect(byKey.get('daprd-declared-json')?.isbinary).toBe(false);
        // An ETag conflict names daprd's prefix once (state-postgresql used to add it a second time).
        for (const port of [httpPort, sidecar.httpPort]) {
          const conflict = await http(
            port,
            'POST',
            '/v1.0/state/statestore',
            '[{"key":"ours-tx","value":1,"etag":"12345"}]',
          );
          expect(conflict.status).toBe(409);
          expect(String(conflict.json.message).match(/possible etag mismatch/g)).toHaveLength(1);
        }
        // Each sidecar reads what the other wrote, byte for byte.
        for (const [reader, writer] of [
          ['ours', 'daprd'],
          ['daprd', 'ours'],
        ] as const) {
          for (const save of SAVES.filter((s) => s.suffix !== 'declared-json')) {
            const response = await call(clients[reader], 'GetState', {
              store_name: 'statestore',
              key: `${writer}-${save.suffix}`,
            });
            expect(Buffer.from(response.data as Buffer), `${reader} reading ${writer}-${save.suffix}`).toEqual(
              save.value,
            );
          }
        }
      });
    }
  },
);
