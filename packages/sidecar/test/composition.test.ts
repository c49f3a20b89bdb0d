/** Resource loading and in-process composition through `createSidecar` (no child process). */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type OutputBinding, silentLogger } from '@daprkit/component-sdk';
import { describe, expect, it } from 'vitest';
import { createSidecar } from '../src/index.js';
import { loadResources } from '../src/resources/load.js';
import { http } from './support.js';

async function resourcesDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dk-res-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

describe('loadResources', () => {
  it('reads multi-document YAML with daprd schema, scopes and value stringification', async () => {
    const dir = await resourcesDir({
      'all.yaml': `apiVersion: dapr.io/v1alpha1
kind: Component
metadata: {name: store}
spec:
  type: state.in-memory
  initTimeout: 2s
  ignoreErrors: true
  metadata:
    - {name: n, value: 1}
    - {name: flag, value: true}
    - {name: fromEnv, envRef: HOME}
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: {name: other-app-only}
spec: {type: state.in-memory}
scopes: [someone-else]
---
apiVersion: dapr.io/v1alpha1
kind: Subscription
metadata: {name: s1}
spec: {pubsubname: p, topic: t, route: /t}
---
apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata: {name: c}
spec:
  secrets:
    scopes: [{storeName: vault, defaultAccess: deny, allowedSecrets: [a]}]
`,
      'notes.txt': 'ignored',
    });
    const resources = await loadResources([dir], 'me', silentLogger);
    expect(resources.components.map((c) => c.name)).toEqual(['store']);
    expect(resources.components[0]).toMatchObject({
      initTimeoutMs: 2000,
      ignoreErrors: true,
      metadata: [
        { name: 'n', value: 1 },
        { name: 'flag', value: true },
        { name: 'fromEnv', envRef: 'HOME' },
      ],
    });
    expect(resources.subscriptions).toMatchObject([
      { pubsubname: 'p', topic: 't', rules: [{ path: '/t' }], type: 'DECLARATIVE' },
    ]);
    expect(resources.configuration.secretScopes).toEqual([
      { storeName: 'vault', defaultAccess: 'deny', allowedSecrets: ['a'], deniedSecrets: [] },
    ]);
  });

  it('rejects duplicate names and invalid names', async () => {
    const doc = 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: dup}\nspec: {type: state.in-memory}\n';
    await expect(
      loadResources([await resourcesDir({ 'a.yaml': doc, 'b.yml': doc })], 'me', silentLogger),
    ).rejects.toThrow(/duplicate definition of Component 'dup'/);
    const bad = doc.replace('name: dup', 'name: "a/b"');
    await expect(loadResources([await resourcesDir({ 'a.yaml': bad })], 'me', silentLogger)).rejects.toThrow(
      /invalid resource name 'a\/b'/,
    );
  });
});

describe('createSidecar (programmatic)', () => {
  it('serves components given as objects and state packages resolved from the registry', async () => {
    const calls: string[] = [];
    const binding: OutputBinding = {
      init: async () => {},
      operations: () => ['create'],
      invoke: async (request) => {
        calls.push(Buffer.from(request.data).toString());
        return {};
      },
    };
    const sidecar = await createSidecar({
      appId: 'embedded',
      httpPort: 0,
      grpcPort: false,
      logger: silentLogger,
      components: [
        { name: 'store', type: 'state.in-memory', metadata: { keyPrefix: 'none' } },
        { name: 'out', type: 'bindings.custom', instance: binding },
      ],
    });
    try {
      expect(sidecar.components.state.get('store')?.component.origin).toMatch(/^@daprkit\/state-memory@/);
      expect(
        (await http(sidecar.httpPort, 'POST', '/v1.0/bindings/out', '{"operation":"create","data":{"x":1}}')).status,
      ).toBe(204);
      expect(calls).toEqual(['{"x":1}']);
      await http(sidecar.httpPort, 'POST', '/v1.0/state/store', '[{"key":"k","value":1}]');
      const stored = await sidecar.components.state.get('store')!.store.get({ key: 'k', metadata: {} });
      expect(Buffer.from(stored.data!).toString()).toBe('1');
    } finally {
      await sidecar.close();
    }
  });

  it('names the package to install for a registered type that is not installed', async () => {
    await expect(
      createSidecar({
        httpPort: 0,
        grpcPort: false,
        logger: silentLogger,
        registry: { 'state.fancy': '@daprkit/state-fancy-not-published' },
        components: [{ name: 'f', type: 'state.fancy' }],
      }),
    ).rejects.toThrow(
      /process component f error: package '@daprkit\/state-fancy-not-published' is not installed: run `npm install @daprkit\/state-fancy-not-published`/,
    );
  });

  it('names the type that needs the missing package (component packages are optional)', async () => {
    await expect(
      createSidecar({
        httpPort: 0,
        grpcPort: false,
        logger: silentLogger,
        registry: { 'secretstores.fancy': '@daprkit/secretstores-fancy-not-published' },
        components: [{ name: 'vault', type: 'secretstores.fancy' }],
      }),
    ).rejects.toThrow(
      "package '@daprkit/secretstores-fancy-not-published' is not installed: run `npm install @daprkit/secretstores-fancy-not-published` in your project (it implements 'secretstores.fancy')",
    );
  });

  it('says which types are unknown', async () => {
    await expect(
      createSidecar({
        httpPort: 0,
        grpcPort: false,
        logger: silentLogger,
        socketsFolder: '/nonexistent',
        components: [{ name: 'x', type: 'state.nowhere' }],
      }),
    ).rejects.toThrow(/couldn't find state state.nowhere\/v1: no socket 'nowhere' in \/nonexistent/);
  });
});
