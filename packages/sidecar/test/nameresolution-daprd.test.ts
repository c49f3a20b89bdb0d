/**
 * The sqlite name resolver against a real daprd that has it (`DAPRKIT_DAPRD_VARIANT=extra bash scripts/daprd.sh`,
 * daprd-<version>-extra: stable components plus nameresolution.sqlite). The daprkit sidecar opens the database
 * first (creating the schema and the nr-migrations row), daprd then opens the same file (accepting that schema) and
 * registers its internal gRPC address; the sidecar finds daprd's app there and proxies a gRPC call to it.
 *
 * No such daprd: skipped locally, a failure with CI=true.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@daprkit/component-sdk';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAPRD_EXTRA, type Daprd, daprdMissing, startDaprd } from '../../../scripts/test/daprd-support.js';
import { createSidecar, type Sidecar } from '../src/index.js';
import { startEchoApp, unary } from './grpc-echo-app.js';

// Throws under CI=true when the extra build (with nameresolution.sqlite) is missing.
const missing = daprdMissing([], DAPRD_EXTRA);

function configYaml(dbPath: string): string {
  return [
    'apiVersion: dapr.io/v1alpha1',
    'kind: Configuration',
    'metadata:',
    '  name: nr-sqlite',
    'spec:',
    '  nameResolution:',
    '    component: sqlite',
    '    configuration:',
    `      connectionString: ${JSON.stringify(dbPath)}`,
    '',
  ].join('\n');
}

describe.skipIf(missing !== undefined)(
  `sqlite name resolution shared with a real daprd${missing ? ` (SKIPPED: ${missing})` : ''}`,
  () => {
    let app: Awaited<ReturnType<typeof startEchoApp>>;
    let daprd: Daprd;
    let sidecar: Sidecar;
    let dbPath: string;

    beforeAll(async () => {
      const dir = await mkdtemp(join(tmpdir(), 'daprkit-nr-daprd-'));
      dbPath = join(dir, 'hosts.db');
      const config = join(dir, 'config.yaml');
      await writeFile(config, configYaml(dbPath));
      sidecar = await createSidecar({
        appId: 'nr-caller',
        grpcTransport: 'daprkit',
        httpPort: 0,
        grpcPort: 0,
        configPaths: [config],
        components: [{ name: 'statestore', type: 'state.in-memory' }],
        logger: silentLogger,
      });
      app = await startEchoApp('behind-daprd');
      const resources = await mkdtemp(join(tmpdir(), 'daprkit-nr-daprd-res-'));
      daprd = await startDaprd({
        appId: 'nr-target',
        appPort: app.port,
        appProtocol: 'grpc',
        binary: DAPRD_EXTRA,
        resourcesPath: resources,
        socketsFolder: resources,
        args: ['--config', config],
      });
    }, 90_000);
    afterAll(async () => {
      await sidecar?.close();
      await daprd?.stop();
      app?.close();
    });

    it("daprd registers itself in the schema the sidecar created, in contrib's row shape", async () => {
      const row = await daprd.waitFor(() => {
        const db = new Database(dbPath, { readonly: true });
        try {
          return db.prepare("SELECT address, app_id, namespace FROM hosts WHERE app_id = 'nr-target'").get() as
            | { address: string; app_id: string; namespace: string }
            | undefined;
        } finally {
          db.close();
        }
      }, "daprd's row in the hosts table");
      // daprd announces its host address (no --dapr-internal-grpc-listen-address here) and the internal port.
      expect(row).toEqual({
        address: expect.stringMatching(new RegExp(`^[^\\s]+:${daprd.internalPort}$`)),
        app_id: 'nr-target',
        namespace: '',
      });
    });

    it('the sidecar resolves daprd by app id from that table and proxies a gRPC call to its app', async () => {
      const result = await daprd.waitFor(async () => {
        const r = await unary(sidecar.grpcPort!, 'via-sqlite', { 'dapr-app-id': 'nr-target' });
        return r.error === null ? r : undefined;
      }, 'a proxied call through the sqlite-resolved daprd');
      expect(result.response).toBe('behind-daprd:via-sqlite');
    });
  },
);
