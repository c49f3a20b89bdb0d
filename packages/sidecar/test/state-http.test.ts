/** The embedded defaults driven by the official @dapr/dapr HTTP client, plus daprd's error codes over raw HTTP. */
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSidecarBuilt, http, type SidecarProcess, startSidecarProcess, stopAllProcesses } from './support.js';

/** @dapr/dapr's type for a transaction operation's etag (not exported by name). */
type SdkEtag = NonNullable<Parameters<DaprClient['state']['transaction']>[1]>[number]['request']['etag'];

let sidecar: SidecarProcess;
let client: DaprClient;

beforeAll(async () => {
  await ensureSidecarBuilt();
  sidecar = await startSidecarProcess(['--app-id', 'state-app']);
  client = new DaprClient({
    daprHost: '127.0.0.1',
    daprPort: String(sidecar.httpPort),
    communicationProtocol: CommunicationProtocolEnum.HTTP,
    logger: { level: LogLevel.Error },
  });
});

afterAll(async () => {
  await client?.stop();
  await stopAllProcesses();
});

describe('@dapr/dapr HTTP client against daprkit-sidecar', () => {
  it('reports the embedded components with ACTOR capability in metadata', async () => {
    const metadata = await client.metadata.get();
    expect(metadata.id).toBe('state-app');
    const store = metadata.components.find((c) => c.name === 'statestore');
    expect(store?.type).toBe('state.in-memory');
    expect(store?.capabilities).toEqual(expect.arrayContaining(['ETAG', 'TRANSACTIONAL', 'ACTOR']));
    expect(metadata.components.find((c) => c.name === 'pubsub')?.type).toBe('pubsub.in-memory');
    await client.metadata.set('team', 'daprkit');
    expect((await client.metadata.get()).extended.team).toBe('daprkit');
  });

  it('saves, gets, bulk-gets and deletes', async () => {
    await client.state.save('statestore', [
      { key: 'order-1', value: { total: 5, note: '<b>&' } },
      { key: 'greeting', value: 'hello' },
    ]);
    expect(await client.state.get('statestore', 'order-1')).toEqual({ total: 5, note: '<b>&' });
    expect(await client.state.get('statestore', 'greeting')).toBe('hello');
    const bulk = await client.state.getBulk('statestore', ['order-1', 'greeting', 'missing']);
    expect(bulk.map((i) => [i.key, i.data])).toEqual([
      ['order-1', { total: 5, note: '<b>&' }],
      ['greeting', 'hello'],
      ['missing', undefined],
    ]);
    await client.state.delete('statestore', 'greeting');
    expect(await client.state.get('statestore', 'greeting')).toBe('');
  });

  it('enforces ETags on save and delete', async () => {
    await client.state.save('statestore', [{ key: 'guarded', value: 1 }]);
    const [item] = await client.state.getBulk('statestore', ['guarded']);
    const etag = item!.etag as string;
    expect(etag).toBeTruthy();
    const stale = await client.state.save('statestore', [{ key: 'guarded', value: 2, etag: 'not-the-etag' }]);
    expect(stale.error).toBeDefined();
    expect(await client.state.get('statestore', 'guarded')).toBe(1);
    await client.state.save('statestore', [{ key: 'guarded', value: 3, etag }]);
    expect(await client.state.get('statestore', 'guarded')).toBe(3);
    const rejected = await client.state.delete('statestore', 'guarded', { etag });
    expect(rejected.error).toBeDefined();
  });

  it('runs transactions atomically', async () => {
    await client.state.save('statestore', [{ key: 'tx-old', value: 'x' }]);
    await client.state.transaction('statestore', [
      { operation: 'upsert', request: { key: 'tx-new', value: { n: 1 } } },
      { operation: 'delete', request: { key: 'tx-old' } },
    ]);
    expect(await client.state.get('statestore', 'tx-new')).toEqual({ n: 1 });
    expect(await client.state.get('statestore', 'tx-old')).toBe('');
    await expect(
      client.state.transaction('statestore', [
        { operation: 'upsert', request: { key: 'tx-new', value: { n: 2 } } },
        // The HTTP client sends `etag` as given: the wire wants a string, the SDK's type says IEtag ({ value }).
        { operation: 'upsert', request: { key: 'tx-other', value: 1, etag: 'wrong' as unknown as SdkEtag } },
      ]),
    ).rejects.toThrow(/ERR_STATE_TRANSACTION/);
    expect(await client.state.get('statestore', 'tx-new')).toEqual({ n: 1 });
  });
});

describe('raw HTTP: daprd-compatible bytes and errors', () => {
  it('stores values re-serialised the way daprd does and answers ETag headers', async () => {
    const saved = await http(
      sidecar.httpPort,
      'POST',
      '/v1.0/state/statestore',
      '[{"key":"go","value":{"z":1,"a":"<x>"}},{"key":"str","value":"v"}]',
    );
    expect(saved.status).toBe(204);
    const object = await http(sidecar.httpPort, 'GET', '/v1.0/state/statestore/go');
    expect(object.text).toBe('{"a":"\\u003cx\\u003e","z":1}');
    expect(object.headers.get('etag')).toBeTruthy();
    expect(object.headers.get('content-type')).toBe('application/json');
    expect((await http(sidecar.httpPort, 'GET', '/v1.0/state/statestore/str')).text).toBe('"v"');
    expect((await http(sidecar.httpPort, 'GET', '/v1.0/state/statestore/nothing-here')).status).toBe(204);
  });

  it('rejects a JSON string where an array is expected, saying what was expected', async () => {
    const response = await http(
      sidecar.httpPort,
      'POST',
      '/v1.0/state/statestore',
      JSON.stringify('[{"key":"k","value":1}]'),
    );
    expect(response.status).toBe(400);
    expect(response.json.errorCode).toBe('ERR_MALFORMED_REQUEST');
    expect(response.json.message).toMatch(/expected a JSON array of state items.*got a JSON string/);
    const garbage = await http(sidecar.httpPort, 'POST', '/v1.0/state/statestore', '{not json');
    expect(garbage.status).toBe(400);
    expect(garbage.json.errorCode).toBe('ERR_MALFORMED_REQUEST');
    const missingKey = await http(sidecar.httpPort, 'POST', '/v1.0/state/statestore', '[{"value":1}]');
    expect(missingKey.json).toEqual({ errorCode: 'ERR_MALFORMED_REQUEST', message: '"key" is a required field' });
    const badTransaction = await http(sidecar.httpPort, 'POST', '/v1.0/state/statestore/transaction', '[]');
    expect(badTransaction.status).toBe(400);
    expect(badTransaction.json.errorCode).toBe('ERR_MALFORMED_REQUEST');
  });

  it('answers 409 on an ETag mismatch and 400 on illegal keys, unknown stores and operations', async () => {
    await http(sidecar.httpPort, 'POST', '/v1.0/state/statestore', '[{"key":"e","value":1}]');
    const conflict = await http(
      sidecar.httpPort,
      'POST',
      '/v1.0/state/statestore',
      '[{"key":"e","value":2,"etag":"nope"}]',
    );
    expect(conflict.status).toBe(409);
    expect(conflict.json.errorCode).toBe('ERR_STATE_SAVE');
    const deleteConflict = await http(sidecar.httpPort, 'DELETE', '/v1.0/state/statestore/e', undefined, {
      'If-Match': 'nope',
    });
    expect(deleteConflict.status).toBe(409);
    expect(deleteConflict.json.errorCode).toBe('ERR_STATE_DELETE');
    const illegal = await http(sidecar.httpPort, 'GET', '/v1.0/state/statestore/a%7C%7Cb');
    expect(illegal.status).toBe(400);
    expect(illegal.json.message).toBe("input key/keyPrefix 'a||b' can't contain '||'");
    const unknown = await http(sidecar.httpPort, 'GET', '/v1.0/state/nostore/k');
    expect(unknown.status).toBe(400);
    expect(unknown.json.errorCode).toBe('ERR_STATE_STORE_NOT_FOUND');
    const badOp = await http(
      sidecar.httpPort,
      'POST',
      '/v1.0/state/statestore/transaction',
      '{"operations":[{"operation":"merge","request":{"key":"k"}}]}',
    );
    expect(badOp.status).toBe(400);
    expect(badOp.json.errorCode).toBe('ERR_NOT_SUPPORTED_STATE_OPERATION');
    const txConflict = await http(
      sidecar.httpPort,
      'POST',
      '/v1.0/state/statestore/transaction',
      '{"operations":[{"operation":"upsert","request":{"key":"e","value":1,"etag":"x"}}]}',
    );
    expect(txConflict.status).toBe(500);
    expect(txConflict.json.errorCode).toBe('ERR_STATE_TRANSACTION');
  });

  it('answers pub/sub, secret and binding lookups with their own codes, and health', async () => {
    const pubsub = await http(sidecar.httpPort, 'POST', '/v1.0/publish/nopubsub/t', '{}', {
      'content-type': 'application/json',
    });
    expect(pubsub.status).toBe(404);
    expect(pubsub.json.errorCode).toBe('ERR_PUBSUB_NOT_FOUND');
    const secrets = await http(sidecar.httpPort, 'GET', '/v1.0/secrets/vault/k');
    expect(secrets.status).toBe(500);
    expect(secrets.json.errorCode).toBe('ERR_SECRET_STORES_NOT_CONFIGURED');
    const binding = await http(sidecar.httpPort, 'POST', '/v1.0/bindings/nobinding', '{"operation":"create"}');
    expect(binding.status).toBe(500);
    expect(binding.json.errorCode).toBe('ERR_INVOKE_OUTPUT_BINDING');
    expect((await http(sidecar.httpPort, 'GET', '/v1.0/healthz')).status).toBe(204);
    expect((await http(sidecar.httpPort, 'GET', '/v1.0/healthz/outbound')).status).toBe(204);
    expect((await http(sidecar.httpPort, 'GET', '/v1.0/nothing')).status).toBe(404);
  });
});

describe('shutdown', () => {
  it('answers 204 and then exits cleanly', async () => {
    const exited = new Promise<number | null>((resolve) => sidecar.child.once('exit', (code) => resolve(code)));
    expect((await http(sidecar.httpPort, 'POST', '/v1.0/shutdown')).status).toBe(204);
    expect(await exited).toBe(0);
  });
});
