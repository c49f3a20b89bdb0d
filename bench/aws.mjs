// aws: DynamoDB state over HTTP on the local AWS-compatible server (moto, `bash scripts/services.sh up moto`):
// - "daprd + Go": daprd (v1.16) with its built-in state.aws.dynamodb;
// - "daprkit": the daprkit sidecar with @daprkit/state-aws-dynamodb in process.
// Both on the same moto table, so the ratio shows our SDK + sidecar against daprd + the Go AWS SDK. moto itself
// (a single Python process, DynamoDB requests serialised by our launcher) bounds both columns: read the ratio,
// not the rates, and never compare them with real DynamoDB.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { daprdPath, startDaprd, startSidecar } from './daprd.mjs';
import { printTable, settings } from './harness.mjs';
import { stateRun } from './sidecar.mjs';

const AWS = {
  endpoint: process.env.DAPRKIT_AWS_ENDPOINT ?? 'http://127.0.0.1:4566',
  region: process.env.DAPRKIT_AWS_REGION ?? 'us-east-1',
  accessKey: process.env.DAPRKIT_AWS_ACCESS_KEY ?? 'daprkit-access',
  secretKey: process.env.DAPRKIT_AWS_SECRET_KEY ?? 'daprkit-secret',
};
const TABLE = 'daprkit-bench-state';

const component = (type) => `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
spec:
  type: ${type}
  version: v1
  metadata:
    - { name: table, value: "${TABLE}" }
    - { name: region, value: "${AWS.region}" }
    - { name: endpoint, value: "${AWS.endpoint}" }
    - { name: accessKey, value: "${AWS.accessKey}" }
    - { name: secretKey, value: "${AWS.secretKey}" }
`;

async function ensureTable() {
  const client = new DynamoDBClient({
    region: AWS.region,
    endpoint: AWS.endpoint,
    credentials: { accessKeyId: AWS.accessKey, secretAccessKey: AWS.secretKey },
    maxAttempts: 1,
  });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: TABLE,
        AttributeDefinitions: [{ AttributeName: 'key', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'key', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if (error.name !== 'ResourceInUseException') throw error;
  } finally {
    client.destroy();
  }
}

export async function benchAws() {
  const rows = [{ scenario: 'state save (HTTP POST)' }, { scenario: 'state get (HTTP GET)' }];
  const notes = [];
  const columns = ['daprd + Go', 'daprkit'];
  try {
    await ensureTable();
  } catch (error) {
    console.log(
      `\naws: skipped — moto unreachable at ${AWS.endpoint} (${error.message}); bash scripts/services.sh up moto`,
    );
    return rows;
  }
  const daprd = daprdPath();
  const scratch = mkdtempSync(join(tmpdir(), 'dkb-aws-'));
  const folder = (name, type) => {
    const dir = mkdir(join(scratch, name));
    writeFileSync(join(dir, 'component.yaml'), component(type));
    return dir;
  };
  const empty = mkdir(join(scratch, 'no-sockets'));
  const runs = [
    ...(daprd === undefined ? [] : [['daprd + Go', startDaprd(daprd, folder('go', 'state.aws.dynamodb'), empty)]]),
    ['daprkit', startSidecar(folder('inproc', 'state.aws.dynamodb'), empty)],
  ];
  if (daprd === undefined) notes.push('daprd + Go: skipped — no daprd binary (bash scripts/daprd.sh builds one)');
  try {
    for (const [column, start] of runs) {
      let server;
      try {
        server = await start();
        const r = await stateRun(server.port);
        rows[0][column] = r.save.perSec;
        rows[1][column] = r.get.perSec;
        notes.push(
          `${column} p50/p99 ms: save ${r.save.p50ms}/${r.save.p99ms}, get ${r.get.p50ms}/${r.get.p99ms}` +
            (r.save.bad + r.get.bad ? `; ${r.save.bad + r.get.bad} non-2xx/errors/timeouts` : ''),
        );
      } catch (err) {
        notes.push(`${column}: failed: ${err.message.split('\n')[0]}`);
      } finally {
        await server?.proc.stop();
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  printTable('DynamoDB state on moto: daprd + Go vs the daprkit sidecar', columns, rows, {
    unit: 'req/s',
    setup: `autocannon ${settings.concurrency} connections, ${settings.durationMs} ms per cell, moto ${AWS.endpoint}`,
    ratios: [['daprkit', 'daprd + Go']],
    notes,
  });
  return rows;
}

function mkdir(dir) {
  mkdirSync(dir, { recursive: true });
  return dir;
}
