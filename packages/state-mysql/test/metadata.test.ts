import { readFileSync } from 'node:fs';
import {
  FailedPreconditionError,
  InvalidMetadataError,
  resolveStateFeatures,
  StateFeature,
} from '@daprkit/component-sdk';
import { describe, expect, it } from 'vitest';
import { definitions, MySqlStateStore, mysqlStateStoreMetadataSchema, VERSION } from '../src/index.js';
import { parseSettings } from '../src/metadata.js';
import { decodeValue, encodeValue } from '../src/values.js';

const DSN = 'dapr:pw@tcp(127.0.0.1:3306)/';

async function initError(properties: Record<string, string>): Promise<Error> {
  const store = new MySqlStateStore();
  try {
    await store.init(properties);
  } catch (err) {
    return err as Error;
  } finally {
    await store.close();
  }
  throw new Error('init succeeded');
}

describe('metadata', () => {
  it('applies contrib defaults', () => {
    expect(parseSettings({ connectionString: DSN })).toMatchObject({
      schemaName: 'dapr_state_store',
      tableName: 'state',
      metadataTableName: 'dapr_metadata',
      timeoutMs: 20_000,
      cleanupIntervalMs: 3_600_000,
      pemPath: undefined,
    });
  });

  it('reads names case-insensitively; timeouts <= 0 mean 20 s; cleanupInterval takes Go durations or seconds', () => {
    const settings = parseSettings({
      ConnectionString: DSN,
      TIMEOUTINSECONDS: '0',
      cleanupinterval: '90s',
      tableName: 'my_State_2',
    });
    expect(settings).toMatchObject({ timeoutMs: 20_000, cleanupIntervalMs: 90_000, tableName: 'my_State_2' });
    expect(parseSettings({ connectionString: DSN, timeoutInSeconds: '-5', cleanupInterval: '0' })).toMatchObject({
      timeoutMs: 20_000,
      cleanupIntervalMs: 0,
    });
    expect(parseSettings({ connectionString: DSN, timeoutInSeconds: '3', cleanupInterval: '30' })).toMatchObject({
      timeoutMs: 3000,
      cleanupIntervalMs: 30_000,
    });
  });

  it('names the offending field', () => {
    const cases: [Record<string, string>, string][] = [
      [{}, 'connectionString'],
      [{ connectionString: 'no-slash' }, 'connectionString'],
      [{ connectionString: DSN, schemaName: 'dapr-state' }, 'schemaName'],
      [{ connectionString: DSN, tableName: 'state; DROP TABLE x' }, 'tableName'],
      [{ connectionString: DSN, metadataTableName: 'm`x' }, 'metadataTableName'],
      [{ connectionString: DSN, timeoutInSeconds: 'soon' }, 'timeoutInSeconds'],
      [{ connectionString: DSN, cleanupInterval: 'hourly' }, 'cleanupInterval'],
    ];
    for (const [properties, field] of cases) {
      let error: unknown;
      try {
        parseSettings(properties);
      } catch (err) {
        error = err;
      }
      expect(error, field).toBeInstanceOf(InvalidMetadataError);
      expect((error as InvalidMetadataError).field).toBe(field);
      expect((error as Error).message.startsWith(`metadata '${field}'`)).toBe(true);
    }
  });

  it('init fails on TLS settings before connecting, naming pemPath or connectionString', async () => {
    const noPem = await initError({ connectionString: `${DSN}?tls=custom` });
    expect(noPem).toBeInstanceOf(InvalidMetadataError);
    expect(noPem.message).toMatch(/^metadata 'pemPath': is required/);
    const missingPem = await initError({ connectionString: `${DSN}?tls=custom`, pemPath: '/nonexistent/ca.pem' });
    // Init may come from any local user who can reach the socket: no path, no errno (issue 21).
    expect(missingPem.message).toBe(
      "metadata 'pemPath': must name a readable PEM file (the reason is logged at debug level)",
    );
    const otherName = await initError({ connectionString: `${DSN}?tls=corp` });
    expect(otherName.message).toMatch(/^metadata 'connectionString': unknown TLS config 'corp'/);
  });

  it('lists every field in the exported schema', () => {
    expect(Object.keys(mysqlStateStoreMetadataSchema).sort()).toEqual(
      [
        'cleanupInterval',
        'connectionString',
        'metadataTableName',
        'pemPath',
        'schemaName',
        'tableName',
        'timeoutInSeconds',
      ].sort(),
    );
    expect(mysqlStateStoreMetadataSchema.connectionString.options.secret).toBe(true);
  });
});

describe('value encoding', () => {
  const bytes = (...values: number[]) => new Uint8Array(values);
  const roundTrip = (value: Uint8Array) => {
    const stored = encodeValue(value);
    return { stored, back: decodeValue(stored.text, stored.isBinary) };
  };

  it('stores UTF-8 JSON as JSON text', () => {
    const text = '{"a": [1, "é", null]}';
    const { stored, back } = roundTrip(new TextEncoder().encode(text));
    expect(stored).toEqual({ text, isBinary: false });
    expect(new TextDecoder().decode(back)).toBe(text);
  });

  it('stores everything else as a base64 JSON string, byte-exact', () => {
    const cases = [
      bytes(0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), // protobuf -1: invalid UTF-8
      new TextEncoder().encode('hello world'), // UTF-8 but not JSON
      bytes(0xef, 0xbb, 0xbf, 0x31), // BOM + "1": a decoder that drops the BOM would store "1"
      bytes(),
    ];
    for (const value of cases) {
      const { stored, back } = roundTrip(value);
      expect(stored.isBinary).toBe(true);
      expect(JSON.parse(stored.text)).toBe(Buffer.from(value).toString('base64'));
      expect(back).toEqual(value);
    }
  });
});

describe('package', () => {
  it('exports one state definition served as daprkit-mysql and state.mysql', () => {
    expect(definitions).toHaveLength(1);
    expect(definitions[0]).toMatchObject({
      kind: 'state',
      socketName: 'daprkit-mysql',
      types: ['state.mysql'],
      packageName: '@daprkit/state-mysql',
      version: VERSION,
    });
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });

  it('declares ETAG and TTL; TRANSACTIONAL comes from transact(); no query or keys-like', () => {
    const store = definitions[0]!.create({
      instanceName: 'x',
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    expect(new Set(resolveStateFeatures(store as MySqlStateStore))).toEqual(
      new Set([StateFeature.ETag, StateFeature.TTL, StateFeature.Transactional]),
    );
  });

  it('refuses calls before init and after close', async () => {
    const store = new MySqlStateStore();
    await expect(store.get({ key: 'k', metadata: {} })).rejects.toThrow(FailedPreconditionError);
    await store.close();
    await store.close();
    await expect(store.init({ connectionString: DSN })).rejects.toThrow('component is closed');
  });
});
